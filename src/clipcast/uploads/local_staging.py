"""Uploads staged on the local disk of the API process that created them (one file each)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.errors import ClipcastError, Conflict, TooLarge
from clipcast.uploads.models import Upload
from clipcast.videos.chain import source_key

# A process that dies mid-PATCH loses at most this much of what it had written to disk.
CHECKPOINT_BYTES = 4 * 1024 * 1024
# Chunks of the body (64 KiB or less) are gathered into writes of this size: a thread hop
# per chunk cost more than the write itself.
WRITE_BYTES = 1024 * 1024
# Where Upload.meta notes the API process that created the upload: a tus key cannot hold
# ':', so no client can set or overwrite it.
NODE_KEY = "clipcast:node"


class Locked(ClipcastError):
    status = 423
    code = "upload_locked"


class HeldElsewhere(ClipcastError):
    """Uploads staged locally are on the disk of the API process that created them."""

    status = 409
    code = "upload_on_other_node"


class DataLost(ClipcastError):
    status = 410
    code = "upload_data_lost"


def part_path(upload_dir: Path, upload_id: uuid.UUID) -> Path:
    return upload_dir / f"{upload_id}.part"


def start(upload_dir: Path, upload_id: uuid.UUID) -> None:
    part_path(upload_dir, upload_id).touch()


def holder(upload: Upload) -> str | None:
    """The API process whose disk holds this upload's bytes (None: made before it was noted)."""
    node = upload.meta.get(NODE_KEY)
    return node if isinstance(node, str) else None


def check_held_here(upload: Upload, upload_dir: Path, node: str) -> None:
    """Refuse, with the holder's name, a request for bytes another API process holds."""
    if part_path(upload_dir, upload.id).exists() or holder(upload) == node:
        return
    raise _elsewhere(upload, node)


def _elsewhere(upload: Upload, node: str) -> ClipcastError:
    held_by = holder(upload)
    if held_by == node:
        return DataLost("This upload's partial file is gone from this server; upload it again.")
    where = f"API process {held_by!r}" if held_by else "another API process"
    return HeldElsewhere(
        f"This upload is held by {where}, not by this one ({node!r}): every request of an "
        "upload must reach the process that created it (sticky routing)."
    )


@contextlib.contextmanager
def _exclusive(upload: Upload, upload_dir: Path, node: str) -> Iterator[int]:
    """One writer per upload, across processes sharing the upload dir."""
    try:
        fd = os.open(part_path(upload_dir, upload.id), os.O_WRONLY)
    except FileNotFoundError:
        raise _elsewhere(upload, node) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked("Another request is writing to this upload.") from None
        yield fd
    finally:
        os.close(fd)


async def append(
    *,
    sessions: async_sessionmaker[AsyncSession],
    upload: Upload,
    upload_dir: Path,
    node: str,
    body: AsyncIterator[bytes],
    checkpoint_bytes: int = CHECKPOINT_BYTES,
) -> int:
    """Write the body at the upload's offset (checked by the caller); returns the new offset.

    The offset is saved every `checkpoint_bytes` as well as at the end, so a process that dies
    mid-body loses at most that much.
    """
    with _exclusive(upload, upload_dir, node) as fd:
        # Bytes past the recorded offset are from a request that died before it was counted.
        await asyncio.to_thread(os.ftruncate, fd, upload.offset)
        target = _Target(sessions, upload.id, fd, upload.offset, upload.length)
        return await _write_body(target, body, checkpoint_bytes)


@dataclass(frozen=True)
class _Target:
    sessions: async_sessionmaker[AsyncSession]
    upload_id: uuid.UUID
    fd: int
    start: int  # the offset this request began at
    length: int  # the upload's Upload-Length


async def _write_body(target: _Target, body: AsyncIterator[bytes], every: int) -> int:
    """Bytes that arrived before a dropped connection are kept: the body simply ends (tus)."""
    end = saved = target.start
    pending: list[bytes] = []
    for_write = 0
    async for chunk in body:
        if end + for_write + len(chunk) > target.length:
            await _refuse(target, saved)
        pending.append(chunk)
        for_write += len(chunk)
        if for_write >= WRITE_BYTES:
            end, for_write = await _write(target.fd, pending, end), 0
            if end - saved >= every:
                saved = await _save(target, saved, end)
    end = await _write(target.fd, pending, end)
    return await _save(target, saved, end)


async def _write(fd: int, pending: list[bytes], at: int) -> int:
    """Write the gathered chunks at `at` in one hop to a thread; returns the new end."""
    data = b"".join(pending)
    pending.clear()
    await asyncio.to_thread(_pwrite_all, fd, data, at)
    return at + len(data)


def _pwrite_all(fd: int, data: bytes, at: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, at)
        view, at = view[written:], at + written


async def _save(target: _Target, old: int, new: int) -> int:
    await asyncio.to_thread(os.fsync, target.fd)  # the row never counts bytes not yet on disk
    return await _record_offset(target.sessions, target.upload_id, old, new)


async def _refuse(target: _Target, saved: int) -> NoReturn:
    """A body past Upload-Length changes nothing: saved checkpoints are undone, row first."""
    await _record_offset(target.sessions, target.upload_id, saved, target.start)
    await asyncio.to_thread(os.ftruncate, target.fd, target.start)
    room = target.length - target.start
    raise TooLarge(f"The body is past Upload-Length: only {room} more bytes fit.")


async def _record_offset(
    sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID, old: int, new: int
) -> int:
    if old == new:
        return new
    async with sessions() as session:
        moved = await session.execute(
            update(Upload)
            .where(Upload.id == upload_id, Upload.offset == old, Upload.completed_at.is_(None))
            .values(offset=new)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("The upload changed while this request wrote to it.")
        await session.commit()
    return new


async def store(*, storage: ObjectStorage, upload_dir: Path, upload: Upload) -> bool:
    """Copy the finished file to its source key; False when another process holds it."""
    path = part_path(upload_dir, upload.id)
    if not path.exists():
        return False  # another process holds the bytes (a HEAD there, or its worker, finishes)
    await storage.put_file(source_key(upload.id), path, "application/octet-stream")
    return True


def discard(upload_dir: Path, upload_id: uuid.UUID) -> None:
    part_path(upload_dir, upload_id).unlink(missing_ok=True)
