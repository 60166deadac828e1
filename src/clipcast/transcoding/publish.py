"""Publishing renditions: objects first, then playlists; then the videos feature records the
rows and the master playlist."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.transcoding.encoder import EncodedRendition
from clipcast.transcoding.rendition import RenditionSummary
from clipcast.videos import publishing
from clipcast.videos.keys import clip_key, init_key, playlist_key
from clipcast.videos.playlist import PlaylistClip, media_playlist
from clipcast.videos.publishing import PLAYLIST_TYPE, PublishedClip, PublishedRendition

INIT_TYPE = "video/mp4"
CLIP_TYPE = "video/iso.segment"
UPLOAD_CONCURRENCY = 8


def as_published(r: RenditionSummary) -> PublishedRendition:
    """A transcoded rendition as the videos feature records it."""
    return PublishedRendition(
        resolution=r.rung.resolution,
        width=r.rung.width,
        height=r.rung.height,
        bandwidth=r.bandwidth,
        average_bandwidth=r.average_bandwidth,
        codecs=r.codecs,
        frame_rate=r.frame_rate,
        clips=tuple(PublishedClip(c.index, c.offset, c.duration, c.byte_size) for c in r.clips),
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


async def publish_renditions(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    renditions: Sequence[RenditionSummary],
    now: datetime,
    *,
    complete: bool = True,
) -> None:
    """Hand renditions whose objects are all stored to the videos feature, which records them
    and makes the video playable (`complete` False: published as they grow)."""
    await publishing.publish_renditions(
        sessions=sessions,
        storage=storage,
        video_id=video_id,
        renditions=[as_published(r) for r in renditions],
        now=now,
        complete=complete,
    )
