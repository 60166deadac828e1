"""Publish results on the video's rows: renditions, their clips (each knowing the next few),
the master playlist that lists them, and the video's `playable` flag.

The one writer of these rows, whoever made the media (a VOD transcode now, a live stream next).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.ids import clip_id
from clipcast.videos.chain import NEXT_CLIPS, next_clip_ids
from clipcast.videos.keys import clip_key, init_key, master_key, playlist_key
from clipcast.videos.models import Clip, Rendition, Video
from clipcast.videos.playlist import PlaylistRendition, master_playlist
from clipcast.videos.transitions import VideoGone

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


@dataclass(frozen=True)
class PublishedClip:
    index: int  # position in the whole rendition, from 0
    offset: float  # seconds from the start of the video
    duration: float
    byte_size: int


@dataclass(frozen=True)
class PublishedRendition:
    """One rung whose objects (init segment, clips, media playlist) are all stored."""

    resolution: int  # height; 0 = audio only
    width: int
    height: int
    bandwidth: int  # peak bits/s
    average_bandwidth: int
    codecs: str
    frame_rate: float | None
    clips: tuple[PublishedClip, ...]


def _rendition_row(
    video_id: uuid.UUID, r: PublishedRendition, now: datetime, complete: bool
) -> Rendition:
    return Rendition(
        video_id=video_id,
        resolution=r.resolution,
        width=r.width,
        height=r.height,
        bandwidth=r.bandwidth,
        average_bandwidth=r.average_bandwidth,
        codecs=r.codecs,
        frame_rate=r.frame_rate,
        init_key=init_key(video_id, r.resolution),
        playlist_key=playlist_key(video_id, r.resolution),
        published_at=now,
        complete=complete,
    )


def _clip_rows(video_id: uuid.UUID, r: PublishedRendition) -> list[Clip]:
    res, count = r.resolution, len(r.clips)
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


async def _record(
    session: AsyncSession, video_id: uuid.UUID, r: PublishedRendition, now: datetime, complete: bool
) -> None:
    # A retried job may have left rows of a rendition it never finished recording.
    res = r.resolution
    await session.execute(delete(Clip).where(Clip.video_id == video_id, Clip.resolution == res))
    await session.execute(
        delete(Rendition).where(Rendition.video_id == video_id, Rendition.resolution == res)
    )
    session.add(_rendition_row(video_id, r, now, complete))
    session.add_all(_clip_rows(video_id, r))


async def publish_renditions(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[PublishedRendition],
    now: datetime,
    complete: bool = True,
) -> None:
    """Record renditions whose objects are all stored (all there will be, or with `complete`
    False, all made so far); the video is playable from the commit.

    The master playlist is written once, before the commit, and only names renditions whose
    objects are all stored, so no playlist ever names a missing object.
    """
    async with sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            raise VideoGone(str(video_id))
        for r in renditions:
            await _record(session, video_id, r, now, complete)
        await session.flush()
        rows = await session.scalars(select(Rendition).where(Rendition.video_id == video_id))
        master = master_playlist([_as_playlist(r) for r in rows])
        await storage.put_bytes(master_key(video_id), master.encode(), PLAYLIST_TYPE)
        video.playable = True
        video.updated_at = now
        await session.commit()


async def published_resolutions(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> set[int]:
    """Resolutions published whole; a partial one (an EVENT playlist) is made again."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Rendition.resolution).where(
                Rendition.video_id == video_id, Rendition.complete.is_(True)
            )
        )
        return set(rows)


# Live streams: renditions opened at the first clip, clips added as they are cut (each naming
# the next few, whose ids are known before they exist), closed when the stream ends.


async def open_live_renditions(
    session: AsyncSession,
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[PublishedRendition],
    now: datetime,
) -> None:
    """Record a live stream's renditions (not complete) and its master playlist, in the
    caller's transaction; the video is playable from its commit."""
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None:
        raise VideoGone(str(video_id))
    for r in renditions:
        await _record(session, video_id, r, now, complete=False)
    await _write_master(storage, video_id, renditions)
    video.playable = True
    video.updated_at = now


async def _write_master(
    storage: ObjectStorage, video_id: uuid.UUID, renditions: Sequence[PublishedRendition]
) -> None:
    master = master_playlist(
        [
            PlaylistRendition(
                resolution=r.resolution,
                width=r.width,
                height=r.height,
                bandwidth=r.bandwidth,
                average_bandwidth=r.average_bandwidth,
                codecs=r.codecs,
                frame_rate=r.frame_rate,
            )
            for r in renditions
        ]
    )
    await storage.put_bytes(master_key(video_id), master.encode(), PLAYLIST_TYPE)


def add_live_clips(
    session: AsyncSession, video_id: uuid.UUID, clips: Sequence[tuple[int, PublishedClip]]
) -> None:
    """(resolution, clip) rows of one live clip in every rendition, in the caller's
    transaction; each names the next NEXT_CLIPS clips, which do not exist yet."""
    session.add_all(
        Clip(
            video_id=video_id,
            resolution=res,
            index=c.index,
            id=clip_id(video_id, res, c.index),
            offset=c.offset,
            duration=c.duration,
            byte_size=c.byte_size,
            uri=clip_key(video_id, res, c.index),
            next_ids=next_clip_ids(video_id, res, c.index, c.index + 1 + NEXT_CLIPS),
        )
        for res, c in clips
    )


async def close_live_renditions(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[PublishedRendition],
    clip_count: int,
) -> None:
    """The stream ended with `clip_count` clips: its renditions are complete, with the
    bandwidths measured over all of them, and no clip names one after the last."""
    async with sessions() as session:
        for r in renditions:
            await session.execute(
                update(Rendition)
                .where(Rendition.video_id == video_id, Rendition.resolution == r.resolution)
                .values(bandwidth=r.bandwidth, average_bandwidth=r.average_bandwidth, complete=True)
            )
        tail = await session.scalars(
            select(Clip).where(Clip.video_id == video_id, Clip.index >= clip_count - NEXT_CLIPS)
        )
        for clip in tail:
            clip.next_ids = next_clip_ids(video_id, clip.resolution, clip.index, clip_count)
        await _write_master(storage, video_id, renditions)
        await session.commit()
