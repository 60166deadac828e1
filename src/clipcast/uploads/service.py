"""Use cases of uploads: create (with the video row), append bytes, finish, terminate, expire."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.errors import Conflict, InvalidInput, NotFound, TooLarge
from clipcast.core.ids import new_id
from clipcast.jobs.queue import JobKind, enqueue
from clipcast.settings import UploadStaging
from clipcast.uploads import local_staging, storage_staging
from clipcast.uploads.local_staging import NODE_KEY
from clipcast.uploads.models import Upload
from clipcast.videos import audience
from clipcast.videos.lifecycle import Visibility
from clipcast.videos.schemas import MAX_DESCRIPTION, MAX_TITLE
from clipcast.videos.tags import split_tags
from clipcast.videos.transitions import (
    NewVideo,
    add_uploading,
    discard_unfinished,
    start_processing,
)

log = logging.getLogger(__name__)


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
    storage: ObjectStorage,
    upload_dir: Path,
    staging: UploadStaging,
    owner_id: uuid.UUID,
    length: int,
    meta: dict[str, str],
    max_bytes: int,
    expiry: timedelta,
    now: datetime,
    node: str,
) -> Upload:
    """A video row in `uploading` and its upload, sharing one id; the bytes wait in `staging`
    (locally: on the disk of `node`, this process) until the last one."""
    if length > max_bytes:
        raise TooLarge(f"The file is larger than the limit of {max_bytes} bytes.")
    if length == 0:
        raise InvalidInput("The file is empty.", code="empty_upload")
    new = _new_video(meta)
    await audience.check_owned(sessions=sessions, owner_id=owner_id, group_ids=new.groups)
    upload = Upload(
        id=new_id(),
        owner_id=owner_id,
        length=length,
        offset=0,
        meta={**meta, NODE_KEY: node},
        created_at=now,
        expires_at=now + expiry,
        staging=staging,
    )
    if staging is UploadStaging.STORAGE:
        upload.multipart_id, upload.part_bytes = await storage_staging.start(
            storage=storage, upload_id=upload.id, length=length
        )
        async with storage_staging.aborted_on_error(storage, upload.id, upload.multipart_id):
            await _add(sessions, upload, new, now)
    else:
        local_staging.start(upload_dir, upload.id)
        await _add(sessions, upload, new, now)
    return upload


async def _add(
    sessions: async_sessionmaker[AsyncSession], upload: Upload, new: NewVideo, now: datetime
) -> None:
    async with sessions() as session:
        video = add_uploading(session, upload.id, upload.owner_id, new, now)
        await session.flush()
        await audience.share_new(session, video, new.groups)
        session.add(upload)
        await session.commit()


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


def client_meta(upload: Upload) -> dict[str, str]:
    """The tus metadata the client sent, without what the server noted beside it."""
    return {k: v for k, v in upload.meta.items() if k != NODE_KEY}


def in_storage(upload: Upload) -> bool:
    return upload.staging == UploadStaging.STORAGE


async def append(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload: Upload,
    upload_dir: Path,
    node: str,
    offset: int,
    declared_length: int | None,
    body: AsyncIterator[bytes],
) -> int:
    """Take the body at `offset`; returns the new offset. The offset is saved as the bytes
    arrive (every few MiB), so a process that dies mid-body loses at most that much. A wrong
    offset or a body past the upload's length changes nothing."""
    if upload.completed_at is not None or offset != upload.offset:
        raise Conflict(f"Upload-Offset is {upload.offset}, not {offset}.", code="offset_mismatch")
    room = upload.length - offset
    if declared_length is not None and declared_length > room:
        raise TooLarge(f"The body is past Upload-Length: only {room} more bytes fit.")
    if in_storage(upload):
        return await storage_staging.append(
            sessions=sessions, storage=storage, upload=upload, body=body
        )
    return await local_staging.append(
        sessions=sessions, upload=upload, upload_dir=upload_dir, node=node, body=body
    )


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
    if in_storage(upload):
        await storage_staging.complete(sessions=sessions, storage=storage, upload=upload)
    elif not await local_staging.store(storage=storage, upload_dir=upload_dir, upload=upload):
        return False
    async with sessions() as session:
        row = await session.get(Upload, upload_id, with_for_update=True)
        if row is None or row.completed_at is not None:
            return False
        if not await start_processing(session, upload_id, now):
            return False
        row.completed_at = now
        enqueue(session, JobKind.TRANSCODE, upload_id, now)
        await session.commit()
    if in_storage(upload):
        await storage_staging.forget_tails(storage, upload_id)
    else:
        local_staging.discard(upload_dir, upload_id)
    return True


async def terminate(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload_dir: Path,
    upload: Upload,
) -> None:
    """tus termination: the upload, its staged bytes and its unfinished video are gone."""
    if upload.completed_at is not None:
        raise Conflict("This upload is finished; delete the video instead.", code="upload_done")
    await _discard(sessions, storage, upload_dir, upload)


async def _discard(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload_dir: Path,
    upload: Upload,
) -> None:
    # Stored parts go before the row: a crash in between leaves the row, which expiry retries.
    if in_storage(upload):
        await storage_staging.discard(storage, upload)
    async with sessions() as session:
        await discard_unfinished(session, upload.id)  # the upload row cascades
        await session.commit()
    if not in_storage(upload):
        local_staging.discard(upload_dir, upload.id)


async def expire_uploads(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload_dir: Path,
    now: datetime,
) -> int:
    """Remove unfinished uploads past their expiry, with their videos and staged bytes."""
    async with sessions() as session:
        stale = list(
            await session.scalars(
                select(Upload).where(Upload.completed_at.is_(None), Upload.expires_at <= now)
            )
        )
    removed = 0
    for upload in stale:
        try:
            await _discard(sessions, storage, upload_dir, upload)
        except Exception:  # storage down: the row stays, the next pass tries again
            log.exception("could not expire upload %s", upload.id)
        else:
            removed += 1
    return removed


async def unfinished_complete_uploads(
    *, sessions: async_sessionmaker[AsyncSession]
) -> list[uuid.UUID]:
    """Uploads with every byte in but not yet handed on (a crash in between)."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Upload.id).where(Upload.completed_at.is_(None), Upload.offset == Upload.length)
        )
        return list(rows)


async def housekeeping(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    upload_dir: Path,
    now: datetime,
) -> None:
    """Hand on uploads a crash left complete but unfinished, expire abandoned ones, and drop
    staged bytes no upload owns."""
    for upload_id in await unfinished_complete_uploads(sessions=sessions):
        try:
            await finish_if_complete(
                sessions=sessions,
                storage=storage,
                upload_dir=upload_dir,
                upload_id=upload_id,
                now=now,
            )
        except Exception:  # one broken upload must not stop the others; it expires in time
            log.exception("could not finish upload %s", upload_id)
    await expire_uploads(sessions=sessions, storage=storage, upload_dir=upload_dir, now=now)
    await storage_staging.sweep(sessions=sessions, storage=storage, now=now)
