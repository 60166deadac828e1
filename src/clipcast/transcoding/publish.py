"""Publishing renditions: objects first, then playlists, then rows and the master playlist."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.ids import clip_id
from clipcast.transcoding.encoder import EncodedRendition
from clipcast.transcoding.keys import clip_key, init_key, master_key, playlist_key
from clipcast.transcoding.rendition import RenditionSummary
from clipcast.videos.chain import next_clip_ids
from clipcast.videos.models import Clip, Rendition, Video
from clipcast.videos.playlist import (
    PlaylistClip,
    PlaylistRendition,
    master_playlist,
    media_playlist,
)

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
INIT_TYPE = "video/mp4"
CLIP_TYPE = "video/iso.segment"
UPLOAD_CONCURRENCY = 8


class VideoGone(Exception):
    """The video was deleted while it was processing."""


def _rendition_row(
    video_id: uuid.UUID, r: RenditionSummary, now: datetime, complete: bool
) -> Rendition:
    return Rendition(
        video_id=video_id,
        resolution=r.rung.resolution,
        width=r.rung.width,
        height=r.rung.height,
        bandwidth=r.bandwidth,
        average_bandwidth=r.average_bandwidth,
        codecs=r.codecs,
        frame_rate=r.frame_rate,
        init_key=init_key(video_id, r.rung.resolution),
        playlist_key=playlist_key(video_id, r.rung.resolution),
        published_at=now,
        complete=complete,
    )


def _clip_rows(video_id: uuid.UUID, r: RenditionSummary) -> list[Clip]:
    res, count = r.rung.resolution, len(r.clips)
    return [
        Clip(
            video_id=video_id,
            resolution=res,
            index=c.index,
            id=clip_id(video_id, res, c.index),
            offset=c.offset,
            duration=c.duration,
            byte_size=c.byte_size,
            uri=clip_key(video_id, res, c.index),
            next_ids=next_clip_ids(video_id, res, c.index, count),
        )
        for c in r.clips
    ]


def _as_playlist(r: Rendition) -> PlaylistRendition:
    return PlaylistRendition(
        resolution=r.resolution,
        width=r.width,
        height=r.height,
        bandwidth=r.bandwidth,
        average_bandwidth=r.average_bandwidth,
        codecs=r.codecs,
        frame_rate=r.frame_rate,
    )


async def upload_clips(
    storage: ObjectStorage,
    video_id: uuid.UUID,
    resolution: int,
    clips: Sequence[tuple[int, Path]],
) -> None:
    """(index, file) clips under their final keys; an upload repeated after a crash overwrites."""
    gate = asyncio.Semaphore(UPLOAD_CONCURRENCY)

    async def put(index: int, path: Path) -> None:
        async with gate:
            await storage.put_file(clip_key(video_id, resolution, index), path, CLIP_TYPE)

    await asyncio.gather(*(put(index, path) for index, path in clips))


async def upload_playlist(
    storage: ObjectStorage,
    video_id: uuid.UUID,
    r: RenditionSummary,
    clip_seconds: int,
    *,
    ended: bool = True,
) -> None:
    """The media playlist: put only once its init segment and every clip it names are stored."""
    clips = [PlaylistClip(index=c.index, duration=c.duration) for c in r.clips]
    text = media_playlist(clips, clip_seconds, ended=ended)
    await storage.put_bytes(playlist_key(video_id, r.rung.resolution), text.encode(), PLAYLIST_TYPE)


async def upload_objects(
    storage: ObjectStorage,
    video_id: uuid.UUID,
    enc: EncodedRendition,
    clip_seconds: int,
    *,
    stored: frozenset[int] = frozenset(),
) -> None:
    """Init segment and clips (but those in `stored`, already uploaded as they were made),
    then the media playlist that names them."""
    await storage.put_file(init_key(video_id, enc.rung.resolution), enc.init_path, INIT_TYPE)
    todo = [(c.index, c.path) for c in enc.clips if c.index not in stored]
    await upload_clips(storage, video_id, enc.rung.resolution, todo)
    await upload_playlist(storage, video_id, enc.summary, clip_seconds)


async def record_renditions(
    session: AsyncSession,
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[RenditionSummary],
    now: datetime,
    *,
    complete: bool = True,
) -> None:
    """Rows of the renditions and their clips, and the master playlist listing every rung so far.

    The master is written once, before the caller commits, and only names renditions whose
    objects are all stored, so no playlist ever names a missing object.
    """
    for r in renditions:
        await _record(session, video_id, r, now, complete)
    await session.flush()
    rows = await session.scalars(select(Rendition).where(Rendition.video_id == video_id))
    master = master_playlist([_as_playlist(r) for r in rows])
    await storage.put_bytes(master_key(video_id), master.encode(), PLAYLIST_TYPE)


async def _record(
    session: AsyncSession, video_id: uuid.UUID, r: RenditionSummary, now: datetime, complete: bool
) -> None:
    # A retried job may have left rows of a rendition it never finished recording.
    res = r.rung.resolution
    await session.execute(delete(Clip).where(Clip.video_id == video_id, Clip.resolution == res))
    await session.execute(
        delete(Rendition).where(Rendition.video_id == video_id, Rendition.resolution == res)
    )
    session.add(_rendition_row(video_id, r, now, complete))
    session.add_all(_clip_rows(video_id, r))


async def publish_renditions(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[RenditionSummary],
    now: datetime,
    *,
    complete: bool = True,
) -> None:
    """Record renditions whose objects are all stored (all there will be, or with `complete`
    False, all made so far); the video is playable from the commit."""
    async with sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            raise VideoGone(str(video_id))
        await record_renditions(session, storage, video_id, renditions, now, complete=complete)
        video.playable = True
        video.updated_at = now
        await session.commit()


async def published_resolutions(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> set[int]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Rendition.resolution).where(
                Rendition.video_id == video_id, Rendition.complete.is_(True)
            )
        )
        return set(rows)
