"""Use cases of thumbnails: make them when a video is ready; set a poster its owner uploads.

Objects are stored first and the mapping on the video row written after, so the mapping never
names a missing object; units it no longer names are deleted after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.media.ffmpeg import FfmpegError
from clipcast.adapters.storage.base import ObjectMissing, ObjectStorage
from clipcast.core.clock import utcnow
from clipcast.core.errors import InvalidInput, NotFound, TooLarge
from clipcast.outbox.repository import add_event
from clipcast.settings import Settings
from clipcast.thumbnails import repository as repo
from clipcast.thumbnails.formats import ImageRejected, ImageTooBig
from clipcast.thumbnails.generate import (
    Source,
    ThumbnailsFailed,
    motion,
    poster_files,
    ranked_candidates,
)
from clipcast.thumbnails.images import PosterFiles, poster_from_upload
from clipcast.thumbnails.keys import (
    Unit,
    generated_id,
    unit_prefix,
)
from clipcast.thumbnails.mapping import (
    PosterSource,
    StoredPoster,
    ThumbnailMap,
    has_custom_poster,
    load,
    merge_generated,
    stale_units,
    unit_ids,
    with_poster,
)
from clipcast.thumbnails.plan import poster_rendition, small_rendition, snippet_clips
from clipcast.thumbnails.units import (
    VTT_TYPE,
    Pending,
    poster_unit,
    preview_unit,
    storyboard_unit,
)

log = logging.getLogger(__name__)

UPLOAD_CONCURRENCY = 8


@dataclass(frozen=True)
class Inputs:
    """What a ready video offers to make thumbnails from."""

    duration: float
    mapping: ThumbnailMap  # as stored when the run started
    big: Source  # for the poster
    small: Source  # for the storyboard and preview
    fingerprints: dict[Unit, str]  # what each unit is made of, for its derived uuid


async def make_thumbnails(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    settings: Settings,
    video_id: uuid.UUID,
) -> None:
    """Poster (best of several frames) at card and player sizes, hover preview and storyboard.

    Idempotent: generated objects have keys derived from the video and its renditions, so a
    second run rewrites the same objects and mapping. A poster the owner uploaded is kept. A
    video deleted meanwhile keeps nothing of this run. When the media cannot be turned into
    pictures the video stays ready without thumbnails and the cause is logged; a storage or
    database outage raises, so the event is delivered again.
    """
    work = await asyncio.to_thread(_work_dir, settings.work_dir, video_id)
    try:
        await _make(sessions, storage, video_id, work, settings.ffmpeg_stall_seconds)
    except (FfmpegError, ThumbnailsFailed, UnidentifiedImageError) as exc:
        log.warning("no thumbnails for video %s: %s", video_id, exc)
    except ObjectMissing as exc:
        # Clips vanish when the video is deleted while we read them: then there is nothing to do.
        if await _exists(sessions, video_id):
            log.warning("no thumbnails for video %s: object %s is missing", video_id, exc)
    finally:
        await asyncio.to_thread(shutil.rmtree, work, True)


def _work_dir(parent: Path, video_id: uuid.UUID) -> Path:
    # A directory per run: a redelivered event may run beside the first delivery.
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"thumbs-{video_id}-", dir=parent))


async def _make(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    work: Path,
    stall: float,
) -> None:
    inputs = await _inputs(sessions, video_id)
    if inputs is None:
        log.info("no thumbnails for video %s: gone, not ready, or no picture", video_id)
        return
    generated, objects = await _generate(storage, video_id, inputs, work, stall)
    if not await _exists(sessions, video_id):
        return  # deleted while we worked: store nothing
    await _store(storage, objects)
    await _commit(sessions, storage, video_id, generated)


async def _inputs(sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> Inputs | None:
    async with sessions() as session:
        published = await repo.published(session, video_id)
        if published is None:
            return None
        big, small = poster_rendition(published.renditions), small_rendition(published.renditions)
        if big is None or small is None:
            return None  # audio only: nothing to picture
        big_clips = await repo.clips_of(session, video_id, big.resolution)
        small_clips = await repo.clips_of(session, video_id, small.resolution)
    if not big_clips or not small_clips:
        return None
    last = small_clips[-1]
    return Inputs(
        duration=published.duration or last.offset + last.duration,
        mapping=published.mapping,
        big=Source(big, big_clips),
        small=Source(small, small_clips),
        fingerprints={
            Unit.POSTER: published.fingerprint(big.resolution),
            # The preview shows the moments the poster ranking liked best.
            Unit.PREVIEW: published.fingerprint(big.resolution, small.resolution),
            Unit.STORYBOARD: published.fingerprint(small.resolution),
        },
    )


async def _generate(
    storage: ObjectStorage, video_id: uuid.UUID, inputs: Inputs, work: Path, stall: float
) -> tuple[ThumbnailMap, list[Pending]]:
    def unit_id(unit: Unit) -> uuid.UUID:
        return generated_id(video_id, unit, inputs.fingerprints[unit])

    ranked = await ranked_candidates(storage, inputs.big, inputs.duration, work, stall)
    poster: StoredPoster | None = None
    objects: list[Pending] = []
    if ranked and not has_custom_poster(inputs.mapping):
        files = await poster_files(ranked[0])
        poster, objects = poster_unit(
            video_id, unit_id(Unit.POSTER), files, PosterSource.AUTO, at=ranked[0].clip.offset
        )
    snippets = snippet_clips([c.clip.index for c in ranked], inputs.small.clips)
    made = await motion(storage, inputs.small, snippets, work, stall)
    preview, preview_objects = preview_unit(video_id, unit_id(Unit.PREVIEW), made)
    board, board_objects = storyboard_unit(
        video_id, unit_id(Unit.STORYBOARD), made, inputs.duration
    )
    mapping = ThumbnailMap(poster=poster, preview=preview, storyboard=board)
    return mapping, [*objects, *preview_objects, *board_objects]


async def _store(storage: ObjectStorage, objects: list[Pending]) -> None:
    gate = asyncio.Semaphore(UPLOAD_CONCURRENCY)

    async def put(item: Pending) -> None:
        async with gate:
            if isinstance(item.data, Path):
                await storage.put_file(item.key, item.data, item.content_type)
            else:
                await storage.put_bytes(item.key, item.data, item.content_type)

    # The VTT after its sheets: whoever can read it finds every sheet it names.
    await asyncio.gather(*(put(item) for item in objects if item.content_type != VTT_TYPE))
    await asyncio.gather(*(put(item) for item in objects if item.content_type == VTT_TYPE))


async def _commit(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    generated: ThumbnailMap,
) -> None:
    before = after = ThumbnailMap()
    async with sessions() as session:
        video = await repo.locked_video(session, video_id)
        if video is not None:
            before = load(video.thumbnails)
            after = merge_generated(before, generated)
            repo.store_mapping(video, after)
            # Search results show the poster: the index follows the video's updates.
            add_event(session, "video.updated", {"video_id": str(video_id)}, utcnow())
            await session.commit()
    # Deleted meanwhile: `after` is empty and everything written goes.
    await _delete_units(storage, video_id, stale_units(unit_ids(generated), before, after))


async def _delete_units(
    storage: ObjectStorage, video_id: uuid.UUID, units: Iterable[uuid.UUID]
) -> None:
    for unit in units:
        await storage.delete_prefix(unit_prefix(video_id, unit))


async def _exists(sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID) -> bool:
    async with sessions() as session:
        return await repo.video_exists(session, video_id)


async def set_custom_poster(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    user_id: uuid.UUID,
    data: bytes,
    now: datetime,
) -> None:
    """Make the owner's picture the poster, re-encoded to our sizes; later runs of the
    thumbnailer keep it. Someone else's video answers NotFound; an unfit file InvalidInput."""
    async with sessions() as session:
        if await repo.owned_video(session, video_id, user_id) is None:
            raise NotFound("No such video.", code="video_not_found")
    files = await _decode_upload(data)
    poster, objects = poster_unit(video_id, uuid.uuid4(), files, PosterSource.CUSTOM, at=None)
    await _store(storage, objects)
    async with sessions() as session:
        video = await repo.locked_video(session, video_id)
        if video is None or video.owner_id != user_id:
            await _delete_units(storage, video_id, [poster.id])
            raise NotFound("No such video.", code="video_not_found")
        before = load(video.thumbnails)
        after = with_poster(before, poster)
        repo.store_mapping(video, after)
        video.updated_at = now
        add_event(session, "video.updated", {"video_id": str(video_id)}, now)
        await session.commit()
    await _delete_units(storage, video_id, stale_units({poster.id}, before, after))


async def _decode_upload(data: bytes) -> PosterFiles:
    # Decoding is CPU work on untrusted bytes: in a thread, after the size checks in it.
    try:
        return await asyncio.to_thread(poster_from_upload, data)
    except ImageTooBig as exc:
        raise TooLarge(exc.reason, code=exc.code) from exc
    except ImageRejected as exc:
        raise InvalidInput(exc.reason, code=exc.code) from exc
