"""Publishing one encoded rendition: objects first, then playlists, then rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.ids import clip_id
from clipcast.transcoding.encoder import EncodedRendition
from clipcast.videos.chain import next_clip_ids
from clipcast.videos.models import Clip, Rendition
from clipcast.videos.playlist import (
    PlaylistClip,
    PlaylistRendition,
    clip_name,
    master_playlist,
    media_playlist,
    rendition_dir,
)

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
UPLOAD_CONCURRENCY = 8


def _keys(video_id: uuid.UUID, resolution: int) -> str:
    return f"videos/{video_id}/{rendition_dir(resolution)}/"


def _rendition_row(video_id: uuid.UUID, enc: EncodedRendition, now: datetime) -> Rendition:
    prefix = _keys(video_id, enc.rung.resolution)
    return Rendition(
        video_id=video_id,
        resolution=enc.rung.resolution,
        width=enc.rung.width,
        height=enc.rung.height,
        bandwidth=enc.bandwidth,
        average_bandwidth=enc.average_bandwidth,
        codecs=enc.codecs,
        frame_rate=enc.frame_rate,
        init_key=prefix + "init.mp4",
        playlist_key=prefix + "index.m3u8",
        published_at=now,
    )


def _clip_rows(video_id: uuid.UUID, enc: EncodedRendition) -> list[Clip]:
    res, prefix, count = enc.rung.resolution, _keys(video_id, enc.rung.resolution), len(enc.clips)
    return [
        Clip(
            video_id=video_id,
            resolution=res,
            index=c.index,
            id=clip_id(video_id, res, c.index),
            offset=c.offset,
            duration=c.duration,
            byte_size=c.byte_size,
            uri=prefix + clip_name(c.index),
            next_ids=next_clip_ids(video_id, res, c.index, count),
        )
        for c in enc.clips
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


async def upload_objects(
    storage: ObjectStorage, video_id: uuid.UUID, enc: EncodedRendition, clip_seconds: int
) -> None:
    """Init segment and clips, then the media playlist that names them."""
    prefix = _keys(video_id, enc.rung.resolution)
    gate = asyncio.Semaphore(UPLOAD_CONCURRENCY)

    async def put(key: str, path: object) -> None:
        async with gate:
            await storage.put_file(key, path, "video/iso.segment")  # type: ignore[arg-type]

    await storage.put_file(prefix + "init.mp4", enc.init_path, "video/mp4")
    await asyncio.gather(*(put(prefix + clip_name(c.index), c.path) for c in enc.clips))
    playlist = media_playlist(
        [PlaylistClip(index=c.index, duration=c.duration) for c in enc.clips], clip_seconds
    )
    await storage.put_bytes(prefix + "index.m3u8", playlist.encode(), PLAYLIST_TYPE)


async def record_rendition(
    session: AsyncSession,
    storage: ObjectStorage,
    video_id: uuid.UUID,
    enc: EncodedRendition,
    now: datetime,
) -> None:
    """Rows of the rendition and its clips, and the master playlist listing every rung so far.

    The master is written before the caller commits, and only names renditions whose objects
    are all stored, so no playlist ever names a missing object.
    """
    # A retried job may have left rows of a rendition it never finished recording.
    await session.execute(
        delete(Clip).where(Clip.video_id == video_id, Clip.resolution == enc.rung.resolution)
    )
    await session.execute(
        delete(Rendition).where(
            Rendition.video_id == video_id, Rendition.resolution == enc.rung.resolution
        )
    )
    rendition = _rendition_row(video_id, enc, now)
    session.add(rendition)
    session.add_all(_clip_rows(video_id, enc))
    await session.flush()
    rows = await session.scalars(select(Rendition).where(Rendition.video_id == video_id))
    master = master_playlist([_as_playlist(r) for r in rows])
    await storage.put_bytes(f"videos/{video_id}/master.m3u8", master.encode(), PLAYLIST_TYPE)


async def published_resolutions(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> set[int]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Rendition.resolution).where(Rendition.video_id == video_id)
        )
        return set(rows)
