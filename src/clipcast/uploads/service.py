"""Use cases of uploads: create (with the video row), append bytes, finish, terminate, expire."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.errors import ClipcastError, Conflict, InvalidInput, NotFound, TooLarge
from clipcast.core.ids import new_id
from clipcast.jobs.queue import JobKind, enqueue
from clipcast.uploads.models import Upload
from clipcast.videos import audience
from clipcast.videos.chain import source_key
from clipcast.videos.lifecycle import Visibility
from clipcast.videos.schemas import MAX_DESCRIPTION, MAX_TITLE
from clipcast.videos.tags import split_tags
from clipcast.videos.transitions import (
    NewVideo,
    add_uploading,
    discard_unfinished,
    start_processing,
)


class Locked(ClipcastError):
    status = 423
    code = "upload_locked"


class HeldElsewhere(ClipcastError):
    """Uploads are staged on the disk of the API process that created them."""

    status = 409
    code = "upload_on_other_node"


class DataLost(ClipcastError):
    status = 410
    code = "upload_data_lost"


# A process that dies mid-PATCH loses at most this much of what it had written to disk.
CHECKPOINT_BYTES = 4 * 1024 * 1024
# Where Upload.meta notes the holding API process: a tus key cannot hold ':', so no client
# can set or overwrite it.
NODE_KEY = "clipcast:node"


def part_path(upload_dir: Path, upload_id: uuid.UUID) -> Path:
    return upload_dir / f"{upload_id}.part"


def _new_video(meta: dict[str, str]) -> NewVideo:
    """The video's fields from tus metadata; over-long values are refused, never cut short."""
    filename = meta.get("filename", "")[:255]  # only shown to the owner; not theirs to choose
    title = (meta.get("title") or Path(filename).stem or "Untitled").strip()
    description = meta.get("description", "")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is over {MAX_TITLE} characters.", code="title_too_long")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description is over {MAX_DESCRIPTION} characters.", code="description_too_long"
        )
    visibility = meta.get("visibility", Visibility.PUBLIC)
    if visibility not in set(Visibility):
        raise InvalidInput(f"visibility is one of {', '.join(Visibility)}.", code="bad_visibility")
    groups = audience.parse_group_ids(meta.get("groups", ""))  # `group`: the share groups
    audience.check_audience(Visibility(visibility), groups)
    return NewVideo(
        title=title or "Untitled",
        description=description,
        filename=filename,
        visibility=Visibility(visibility),
        tags=split_tags(meta.get("tags", "")),
        groups=groups,
    )


async def create_upload(
    *,
    sessions: async_sessionmaker[AsyncSession],
    upload_dir: Path,
    owner_id: uuid.UUID,
    length: int,
    meta: dict[str, str],
    max_bytes: int,
    expiry: timedelta,
    now: datetime,
    node: str,
) -> Upload:
    """A video row in `uploading` and its upload, sharing one id; `node` (this process) holds
    the bytes until the last one."""
    if length > max_bytes:
        raise TooLarge(f"The file is larger than the limit of {max_bytes} bytes.")
    if length == 0:
        raise InvalidInput("The file is empty.", code="empty_upload")
    new = _new_video(meta)
    await audience.check_owned(sessions=sessions, owner_id=owner_id, group_ids=new.groups)
    video_id = new_id()
    part_path(upload_dir, video_id).touch()
    upload = Upload(
        id=video_id,
        owner_id=owner_id,
        length=length,
        offset=0,
        meta={**meta, NODE_KEY: node},
        created_at=now,
        expires_at=now + expiry,
    )
    async with sessions() as session:
        video = add_uploading(session, video_id, owner_id, new, now)
        await session.flush()
        await audience.share_new(session, video, new.groups)
        session.add(upload)
        await session.commit()
    return upload


async def get_upload(
    *,
    sessions: async_sessionmaker[AsyncSession],
    upload_id: uuid.UUID,
    owner_id: uuid.UUID,
    now: datetime,
) -> Upload:
    """The caller's live upload; another user's or an expired one is NotFound."""
    async with sessions() as session:
        upload = await session.get(Upload, upload_id)
    if upload is None or upload.owner_id != owner_id:
        raise NotFound("No such upload.", code="upload_not_found")
    if upload.completed_at is None and upload.expires_at <= now:
        raise NotFound("This upload has expired.", code="upload_expired")
    return upload


def holder(upload: Upload) -> str | None:
    """The API process whose disk holds this upload's bytes (None: made before it was noted)."""
    node = upload.meta.get(NODE_KEY)
    return node if isinstance(node, str) else None


def client_meta(upload: Upload) -> dict[str, str]:
    """The tus metadata the client sent, without what the server noted beside it."""
    return {k: v for k, v in upload.meta.items() if k != NODE_KEY}


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
    offset: int,
    declared_length: int | None,
    body: AsyncIterator[bytes],
    checkpoint_bytes: int = CHECKPOINT_BYTES,
) -> int:
    """Write the body at `offset`; returns the new offset.

    The offset is saved every `checkpoint_bytes` as well as at the end, so a process that dies
    mid-body loses at most that much. A wrong offset or a body past the upload's length
    changes nothing.
    """
    if upload.completed_at is not None or offset != upload.offset:
        raise Conflict(f"Upload-Offset is {upload.offset}, not {offset}.", code="offset_mismatch")
    room = upload.length - offset
    if declared_length is not None and declared_length > room:
        raise TooLarge(f"The body is past Upload-Length: only {room} more bytes fit.")
    with _exclusive(upload, upload_dir, node) as fd:
        # Bytes past the recorded offset are from a request that died before it was counted.
        await asyncio.to_thread(os.ftruncate, fd, offset)
        target = _Target(sessions, upload.id, fd, offset, upload.length)
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
    async for chunk in body:
        if end + len(chunk) > target.length:
            await _refuse(target, saved)
        await asyncio.to_thread(os.pwrite, target.fd, chunk, end)
        end += len(chunk)
        if end - saved >= every:
            saved = await _save(target, saved, end)
    return await _save(target, saved, end)


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
    async with sessions() as session:
        upload = await session.get(Upload, upload_id, with_for_update=True)
        if upload is None or upload.offset != old:
            raise Conflict("The upload changed while this request wrote to it.")
        upload.offset = new
        await session.commit()
    return new


async def finish_if_complete(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload_dir: Path,
    upload_id: uuid.UUID,
    now: datetime,
) -> bool:
    """Once every byte is in: store the source, move the video to processing, queue the job.

    Idempotent: a HEAD after a crash between storing and committing finishes the work.
    """
    async with sessions() as session:
        upload = await session.get(Upload, upload_id)
    if upload is None or upload.offset != upload.length or upload.completed_at is not None:
        return False
    path = part_path(upload_dir, upload_id)
    if not path.exists():
        return False  # another process holds the bytes (a HEAD there, or its worker, finishes)
    await storage.put_file(source_key(upload_id), path, "application/octet-stream")
    async with sessions() as session:
        upload = await session.get(Upload, upload_id, with_for_update=True)
        if upload is None or upload.completed_at is not None:
            return False
        if not await start_processing(session, upload_id, now):
            return False
        upload.completed_at = now
        enqueue(session, JobKind.TRANSCODE, upload_id, now)
        await session.commit()
    path.unlink(missing_ok=True)
    return True


async def terminate(
    *,
    sessions: async_sessionmaker[AsyncSession],
    upload_dir: Path,
    upload: Upload,
) -> None:
    """tus termination: the upload and its unfinished video are gone."""
    if upload.completed_at is not None:
        raise Conflict("This upload is finished; delete the video instead.", code="upload_done")
    async with sessions() as session:
        await discard_unfinished(session, upload.id)  # the upload row cascades
        await session.commit()
    part_path(upload_dir, upload.id).unlink(missing_ok=True)


async def expire_uploads(
    *, sessions: async_sessionmaker[AsyncSession], upload_dir: Path, now: datetime
) -> int:
    """Remove unfinished uploads past their expiry, with their videos and partial files."""
    async with sessions() as session:
        stale = list(
            await session.scalars(
                select(Upload).where(Upload.completed_at.is_(None), Upload.expires_at <= now)
            )
        )
        for upload in stale:
            await discard_unfinished(session, upload.id)
        await session.commit()
    for upload in stale:
        part_path(upload_dir, upload.id).unlink(missing_ok=True)
    return len(stale)


async def unfinished_complete_uploads(
    *, sessions: async_sessionmaker[AsyncSession]
) -> list[uuid.UUID]:
    """Uploads with every byte in but not yet handed on (a crash in between)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Upload.id).where(Upload.completed_at.is_(None), Upload.offset == Upload.length)
        )
        return list(rows)
