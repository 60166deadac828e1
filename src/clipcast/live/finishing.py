"""Ending a live stream: its clips become a normal video (VOD playlists listing every clip, the
renditions complete, `ready`, which brings thumbnails and search through `video.ready`), and
the URL the last clip pointed to says the stream is over.

Every step is idempotent, so an end interrupted half way (a crash) is finished by the sweeper.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.clock import utcnow
from clipcast.live import repository as repo
from clipcast.live.documents import LiveClip, LiveRung, encode, end_document
from clipcast.live.hub import LiveHub
from clipcast.live.keys import document_key
from clipcast.live.models import FeedState, LiveStream
from clipcast.live.playlist import live_playlist
from clipcast.live.publish import DOCUMENT_TYPE, as_rendition, clip_of_mark
from clipcast.videos import publishing, transitions
from clipcast.videos.keys import playlist_key
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Video
from clipcast.videos.publishing import PLAYLIST_TYPE, PublishedRendition
from clipcast.videos.transitions import SourceFacts

log = logging.getLogger(__name__)

NOTHING_RECEIVED = "The stream ended before any video arrived."
STOP_GRACE = 8.0  # seconds a feed running here gets to publish its last clip


async def end_stream(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    hub: LiveHub,
    video_id: uuid.UUID,
    clip_seconds: int,
) -> VideoState | None:
    """End the stream: a feed running in this process stops after publishing what it has
    (one elsewhere stops at its next clip), then the recording becomes a video."""
    await hub.stop(video_id, STOP_GRACE)
    if hub.srt is not None:
        await hub.srt.close(video_id)
    await mark_ended(sessions, video_id, utcnow())
    await hub.stop(video_id, STOP_GRACE)  # one that connected meanwhile
    return await finish_stream(
        sessions=sessions,
        storage=storage,
        video_id=video_id,
        clip_seconds=clip_seconds,
        now=utcnow(),
    )


async def mark_ended(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, now: datetime
) -> bool:
    """The stream takes no more feeds (a feed in progress publishes nothing more); False if it
    had ended already."""
    async with sessions() as session:
        moved = await session.execute(
            update(LiveStream)
            .where(LiveStream.video_id == video_id, LiveStream.feed_state != FeedState.ENDED)
            .values(
                feed_state=FeedState.ENDED,
                epoch=LiveStream.epoch + 1,
                ended_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def finish_stream(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    clip_seconds: int,
    now: datetime,
) -> VideoState | None:
    """Make an ended stream's recording a video; the state it ends in (None: gone)."""
    async with sessions() as session:
        stream = await session.get(LiveStream, video_id)
        video = await session.get(Video, video_id)
        if stream is None or video is None:
            return None
        state, count = VideoState(video.state), stream.next_index
        rungs = [LiveRung(**r) for r in stream.rungs]
        marks = await repo.all_marks(session, video_id)
        totals = await repo.rendition_totals(session, video_id)
    end = end_document(video_id=video_id, index=count, ended_at=stream.ended_at or now)
    await storage.put_bytes(document_key(video_id, count), encode(end), DOCUMENT_TYPE)
    if state not in (VideoState.LIVE, VideoState.PROCESSING):
        return state
    if not marks:
        await transitions.mark_failed(sessions, video_id, NOTHING_RECEIVED, now)
        return VideoState.FAILED
    clips = [clip_of_mark(m) for m in marks]
    await _to_processing(sessions, video_id, now)
    await _vod_objects(sessions, storage, video_id, rungs, clips, totals, clip_seconds)
    await transitions.record_source(sessions, video_id, _facts(rungs, clips))
    await transitions.mark_ready(sessions, video_id, now)
    return VideoState.READY


async def _to_processing(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, now: datetime
) -> None:
    async with sessions() as session:
        if await transitions.end_live(session, video_id, now):
            await session.commit()


async def _vod_objects(
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    rungs: list[LiveRung],
    clips: list[LiveClip],
    totals: dict[int, tuple[int, float, float]],
    clip_seconds: int,
) -> None:
    """VOD playlists of every clip, then the renditions closed with measured bandwidths."""
    text = live_playlist(clips, clip_seconds, ended=True)
    for rung in rungs:
        await storage.put_bytes(
            playlist_key(video_id, rung.resolution), text.encode(), PLAYLIST_TYPE
        )
    await publishing.close_live_renditions(
        sessions=sessions,
        storage=storage,
        video_id=video_id,
        renditions=[_measured(r, totals.get(r.resolution)) for r in rungs],
        clip_count=clips[-1].index + 1,
    )


def _measured(rung: LiveRung, total: tuple[int, float, float] | None) -> PublishedRendition:
    base = as_rendition(rung)
    if total is None or total[1] <= 0:
        return base
    size, seconds, peak = total
    return PublishedRendition(
        resolution=base.resolution,
        width=base.width,
        height=base.height,
        bandwidth=max(int(peak), 1),
        average_bandwidth=max(int(size * 8 / seconds), 1),
        codecs=base.codecs,
        frame_rate=None,
        clips=(),
    )


def _facts(rungs: list[LiveRung], clips: list[LiveClip]) -> SourceFacts:
    top = max(rungs, key=lambda r: r.width * r.height)
    return SourceFacts(
        duration=sum(c.duration for c in clips),
        width=top.width,
        height=top.height,
        has_audio="mp4a" in top.codecs,
        has_video=True,
    )
