"""Uploads staged in object storage, so any API process can take any PATCH of an upload.

The bytes are parts of a multipart upload at the source key (CompleteMultipartUpload makes the
source, no second copy); SQL records each part with its ETag. Bytes acknowledged but short of
a part wait in a small tail object, so a crashed API loses nothing it acknowledged. Requests
take no lock: each move of the offset is a compare-and-set on the upload row, and part numbers
and tail keys are never reused, so a request that loses the race cannot spoil the winner's.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import (
    MAX_PART_NUMBER,
    ObjectMissing,
    ObjectStorage,
    PartsRefused,
    UploadMissing,
)
from clipcast.core.errors import Conflict, NotFound, TooLarge
from clipcast.uploads.local_staging import DataLost
from clipcast.uploads.models import Upload, UploadPart
from clipcast.uploads.parts import part_size, tail_key, tails_prefix
from clipcast.videos.chain import source_key

SOURCE_TYPE = "application/octet-stream"
SOURCES = "sources/"
TAILS = "uploads/"
# A multipart upload SQL does not know is an orphan (its creation crashed before the commit)
# only once it is this old; a younger one may be an upload being created right now.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where an upload stands: parts hold bytes 0..parts_end, the tail parts_end..offset."""

    offset: int
    parts_end: int
    tail_key: str | None

    @property
    def tail_size(self) -> int:
        return self.offset - self.parts_end


async def start(*, storage: ObjectStorage, upload_id: uuid.UUID, length: int) -> tuple[str, int]:
    """Begin the multipart upload; returns its id and the upload's part size."""
    multipart_id = await storage.start_multipart(source_key(upload_id), SOURCE_TYPE)
    return multipart_id, part_size(length)


async def append(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload: Upload,
    body: AsyncIterator[bytes],
) -> int:
    """Take the body at the upload's offset (checked by the caller); returns the new offset.

    Each full part is stored and counted as it fills, so a process that dies mid-body loses
    at most two parts' worth of unacknowledged bytes; what is left at the end is the new tail.
    """
    writer = _Writer(sessions, storage, upload)
    try:
        async for chunk in body:
            await writer.take(chunk)
        return await writer.end()
    finally:
        await writer.settle_quietly()


class _Writer:
    """One PATCH: bytes buffered in memory until they make a part or the body ends. A full
    part is stored while the next one arrives; parts are counted in order, one at a time."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], storage: ObjectStorage, upload: Upload
    ) -> None:
        assert upload.multipart_id is not None
        self._sessions, self._storage = sessions, storage
        self._id, self._length, self._part_bytes = upload.id, upload.length, upload.part_bytes
        self._key, self._multipart_id = source_key(upload.id), upload.multipart_id
        self._first = self._mark = _Mark(upload.offset, upload.parts_end, upload.tail_key)
        self._head: bytes | None = None  # the tail, until the first part or tail takes it in
        self._chunks: list[bytes] = []  # received, not yet in a part or tail
        self._buffered = 0  # their size
        self._taken = 0  # bytes this request received
        self._storing: asyncio.Task[None] | None = None  # the part being stored
        self._written: list[str] = []  # tails this request stored
        self._replaced: list[str] = []  # tails no longer counted; deleted once the body is in

    async def take(self, chunk: bytes) -> None:
        if self._first.offset + self._taken + len(chunk) > self._length:
            await self._refuse()
        if self._head is None:
            self._head = await self._read_tail()
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        self._taken += len(chunk)
        while len(self._head) + self._buffered >= self._part_bytes:
            data = self._cut(self._part_bytes)
            await self._settle()  # the part before is counted first
            self._storing = asyncio.create_task(self._store_part(data))

    async def end(self) -> int:
        if self._buffered:
            data = self._cut(len(self._head or b"") + self._buffered)
            await self._settle()
            if self._mark.parts_end + len(data) == self._length:
                await self._store_part(data)  # the last part may be short
            else:
                await self._store_tail(data)
        await self._settle()
        await _delete_all(self._storage, self._replaced)
        return self._mark.offset

    async def settle_quietly(self) -> None:
        """A part already on its way is still counted when the request ends early (the client
        went away, the server is stopping): its bytes are then not sent again."""
        with contextlib.suppress(Exception):
            await self._settle()

    async def _settle(self) -> None:
        if self._storing is not None:
            # Shielded: if this request is cancelled meanwhile, the part is still counted
            # (settle_quietly waits for it).
            await asyncio.shield(self._storing)
            self._storing = None

    def _cut(self, size: int) -> bytes:
        """The head and the buffered bytes up to `size` in all, taken out."""
        pieces, need = [self._head or b""], size - len(self._head or b"")
        while need > 0:
            chunk = self._chunks.pop(0)
            if len(chunk) > need:
                self._chunks.insert(0, chunk[need:])
                chunk = chunk[:need]
            pieces.append(chunk)
            need -= len(chunk)
        self._head = b""
        data = b"".join(pieces)
        self._buffered -= len(data) - len(pieces[0])
        return data

    async def _store_part(self, data: bytes) -> None:
        number = await _next_number(self._sessions, self._id)
        try:
            etag = await self._storage.put_part(self._key, self._multipart_id, number, data)
        except UploadMissing:
            raise _gone() from None
        start = self._mark.parts_end
        part = UploadPart(upload_id=self._id, number=number, start=start, size=len(data), etag=etag)
        end = start + len(data)
        await self._move(_Mark(end, end, None), part)

    async def _store_tail(self, data: bytes) -> None:
        key = tail_key(str(self._id), uuid.uuid4().hex)
        await self._storage.put_bytes(key, data, SOURCE_TYPE)
        self._written.append(key)
        await self._move(_Mark(self._mark.parts_end + len(data), self._mark.parts_end, key))

    async def _read_tail(self) -> bytes:
        if self._mark.tail_key is None:
            return b""
        try:
            tail = await self._storage.get_bytes(self._mark.tail_key)
        except ObjectMissing:
            raise _changed() from None  # replaced by a request that wrote after this began
        if len(tail) != self._mark.tail_size:
            raise _changed()
        return tail

    async def _move(self, new: _Mark, part: UploadPart | None = None) -> None:
        try:
            await _record(self._sessions, self._id, self._mark, new, part)
        except Conflict:
            await _delete_all(self._storage, self._written)
            raise
        if self._mark.tail_key is not None:
            self._replaced.append(self._mark.tail_key)
        self._mark = new

    async def _refuse(self) -> NoReturn:
        """A body past Upload-Length changes nothing: what this request counted is undone."""
        await self._settle()
        if self._mark != self._first:
            await _record(self._sessions, self._id, self._mark, self._first, drop_from=True)
            self._mark = self._first
        await _delete_all(self._storage, self._written)
        room = self._length - self._first.offset
        raise TooLarge(f"The body is past Upload-Length: only {room} more bytes fit.")


def _gone() -> NotFound:
    return NotFound("This upload was terminated or has expired.", code="upload_not_found")


def _changed() -> Conflict:
    return Conflict("The upload changed while this request wrote to it.")


async def _next_number(sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID) -> int:
    """A part number no request of this upload has used."""
    async with sessions() as session:
        after: int | None = await session.scalar(
            update(Upload)
            .where(Upload.id == upload_id)
            .values(next_part=Upload.next_part + 1)
            .returning(Upload.next_part)
        )
        await session.commit()
    if after is None:
        raise _gone()
    if after - 1 > MAX_PART_NUMBER:
        raise Conflict(
            "This upload was retried too often; upload the file again.", code="upload_exhausted"
        )
    return after - 1


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    upload_id: uuid.UUID,
    old: _Mark,
    new: _Mark,
    part: UploadPart | None = None,
    *,
    drop_from: bool = False,
) -> None:
    """Move the upload from `old` to `new` (Conflict if it is no longer at `old`), adding
    `part`, or with `drop_from` dropping the parts past `new` (an undo)."""
    same_tail = (
        Upload.tail_key.is_(None) if old.tail_key is None else Upload.tail_key == old.tail_key
    )
    async with sessions() as session:
        moved = await session.execute(
            update(Upload)
            .where(
                Upload.id == upload_id,
                Upload.offset == old.offset,
                Upload.parts_end == old.parts_end,
                same_tail,
                Upload.completed_at.is_(None),
            )
            .values(offset=new.offset, parts_end=new.parts_end, tail_key=new.tail_key)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise _changed()
        if part is not None:
            session.add(part)
        if drop_from:
            await session.execute(
                delete(UploadPart).where(
                    UploadPart.upload_id == upload_id, UploadPart.start >= new.parts_end
                )
            )
        await session.commit()


async def _delete_all(storage: ObjectStorage, keys: list[str]) -> None:
    for key in keys:
        await storage.delete(key)
    keys.clear()


async def complete(
    *, sessions: async_sessionmaker[AsyncSession], storage: ObjectStorage, upload: Upload
) -> None:
    """Join the recorded parts into the source object (idempotent: once joined, it checks)."""
    assert upload.multipart_id is not None
    async with sessions() as session:
        parts = list(
            await session.scalars(
                select(UploadPart)
                .where(UploadPart.upload_id == upload.id)
                .order_by(UploadPart.start)
            )
        )
    key = source_key(upload.id)
    try:
        await storage.complete_multipart(
            key, upload.multipart_id, [(p.number, p.etag) for p in parts]
        )
    except UploadMissing:
        pass  # joined by a request that died before its commit, or aborted: the stat tells
    except PartsRefused as exc:
        raise DataLost(
            f"This upload's stored parts are incomplete ({exc}); upload it again."
        ) from exc
    info = await storage.stat(key)
    if info is None or info.size != upload.length:
        raise DataLost("This upload's stored parts are gone; upload it again.")


async def forget_tails(storage: ObjectStorage, upload_id: uuid.UUID) -> None:
    await storage.delete_prefix(tails_prefix(str(upload_id)))


async def discard(storage: ObjectStorage, upload: Upload) -> None:
    """Everything an unfinished upload stored: parts (aborted), tails, a source joined by a
    completion whose commit never came. Called before the row goes, so a crash here leaves
    the row for expiry to try again."""
    if upload.multipart_id is not None:
        await storage.abort_multipart(source_key(upload.id), upload.multipart_id)
    await forget_tails(storage, upload.id)
    await storage.delete(source_key(upload.id))


async def sweep(
    *, sessions: async_sessionmaker[AsyncSession], storage: ObjectStorage, now: datetime
) -> int:
    """Abort multipart uploads and delete tails no unfinished upload owns (left by a crash
    between storing them and the commit naming them); returns how many went."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Upload.id, Upload.multipart_id).where(Upload.completed_at.is_(None))
            )
        ).all()
    owned = {multipart_id for _, multipart_id in rows if multipart_id}
    alive = {str(upload_id) for upload_id, _ in rows}
    swept = 0
    for pending in await storage.list_multipart(SOURCES):
        if pending.upload_id not in owned and pending.started < now - ORPHAN_GRACE:
            await storage.abort_multipart(pending.key, pending.upload_id)
            swept += 1
    for key in await storage.list_keys(TAILS):
        owner = key.split("/")[1]
        if owner not in alive:
            await storage.delete(key)
            swept += 1
    return swept


@contextlib.asynccontextmanager
async def aborted_on_error(
    storage: ObjectStorage, upload_id: uuid.UUID, multipart_id: str
) -> AsyncIterator[None]:
    """Abort the new multipart upload if the row naming it is not committed."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await storage.abort_multipart(source_key(upload_id), multipart_id)
        raise
