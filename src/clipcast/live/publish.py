"""Publishing one live clip, in the order that keeps every reader right: the clip in every
rendition, then its document (naming the next clip's URL), then the live playlists, then the
rows (clips through the videos feature, the stream's current clip) that `current` reads.

A feed's clip index is reserved in SQL first, under the feed's epoch: a feed that was replaced,
whose key was rotated or whose stream ended reserves nothing, so it can never write over a
document another feed published.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectMissing, ObjectStorage
from clipcast.core.clock import utcnow
from clipcast.live import repository as repo
from clipcast.live.bundling import ChatSource
from clipcast.live.cutting import CutClip
from clipcast.live.documents import LiveClip, LiveRung, clip_document, encode
from clipcast.live.fragments import Init, shift_times
from clipcast.live.keys import document_key, init_key, init_name
from clipcast.live.models import LiveClipMark, LiveStream
from clipcast.live.playlist import WINDOW, live_playlist
from clipcast.live.viewers import ViewerTally
from clipcast.videos import publishing
from clipcast.videos.keys import INIT, clip_key, playlist_key
from clipcast.videos.publishing import PLAYLIST_TYPE, PublishedClip, PublishedRendition

log = logging.getLogger(__name__)

CLIP_TYPE = "video/iso.segment"
INIT_TYPE = "video/mp4"
DOCUMENT_TYPE = "application/json"
CHAT_WAIT_SECONDS = 0.2  # chat never holds a clip back longer than this


class Superseded(Exception):
    """Another feed took the stream over (or it ended, or its key was rotated)."""


@dataclass(frozen=True)
class PublishDeps:
    sessions: async_sessionmaker[AsyncSession]
    storage: ObjectStorage
    chat: ChatSource
    tally: ViewerTally | None
    clip_seconds: int


@dataclass
class FeedRun:
    """What one feed (one epoch) has published, carried from clip to clip."""

    video_id: uuid.UUID
    epoch: int
    rungs: list[LiveRung]
    inits: dict[int, Init]  # this feed's init segment per resolution
    discontinuity_sequence: int  # of this feed's clips (the stream's newest, at first)
    media_seconds: float  # recorded before this clip
    stream_started: bool  # the stream has published a clip before (its renditions exist)
    window: deque[LiveClip] = field(default_factory=lambda: deque(maxlen=WINDOW))
    init: str | None = None  # this feed's init segment name, once its first clip is out
    # Seconds added to this feed's timestamps so its clips continue the recording's timeline
    # (each feed starts its own at about 0): set by its first clip.
    shift: float | None = None
    published: int = 0  # clips this feed published


async def publish_clip(
    deps: PublishDeps, feed: FeedRun, parts: Sequence[CutClip], pdt: datetime
) -> LiveClip:
    """Publish one clip (`parts[i]` in `feed.rungs[i]`); raises Superseded if the feed lost
    the stream."""
    index = await _reserve(deps, feed)
    if feed.init is None:
        feed.init = await _store_inits(deps.storage, feed)
    if feed.shift is None:
        feed.shift = feed.media_seconds - parts[0].start
    await asyncio.gather(
        *(
            deps.storage.put_bytes(
                clip_key(feed.video_id, r.resolution, index),
                shift_times(p.data, feed.inits[r.resolution], feed.shift),
                CLIP_TYPE,
            )
            for r, p in zip(feed.rungs, parts, strict=True)
        )
    )
    clip = _live_clip(feed, index, parts, pdt)
    await _put_document(deps, feed, clip)
    feed.window.append(clip)
    await _put_playlists(deps, feed)
    await _record(deps, feed, clip)
    feed.media_seconds += clip.duration
    feed.published += 1
    return clip


async def _reserve(deps: PublishDeps, feed: FeedRun) -> int:
    async with deps.sessions() as session:
        index = await repo.reserve_index(session, feed.video_id, feed.epoch)
        await session.commit()
    if index is None:
        raise Superseded(str(feed.video_id))
    return index


async def _store_inits(storage: ObjectStorage, feed: FeedRun) -> str:
    """Store this feed's init segments; the stream's first name when the bytes are the same
    as the first feed's (a reconnect with the same settings), else one of its own."""
    same = True
    for rung in feed.rungs:
        try:
            first = await storage.get_bytes(init_key(feed.video_id, rung.resolution, INIT))
        except ObjectMissing:
            first = None
        same = same and (first is None or first == feed.inits[rung.resolution].data)
    name = init_name(feed.epoch if feed.stream_started else 0, same)
    for rung in feed.rungs:
        key = init_key(feed.video_id, rung.resolution, name)
        await storage.put_bytes(key, feed.inits[rung.resolution].data, INIT_TYPE)
    return name


def _live_clip(feed: FeedRun, index: int, parts: Sequence[CutClip], pdt: datetime) -> LiveClip:
    first_of_feed = feed.published == 0 and feed.stream_started
    if first_of_feed:
        feed.discontinuity_sequence += 1  # the clips of a new feed follow an interruption
    assert feed.init is not None
    return LiveClip(
        index=index,
        media_time=feed.media_seconds,
        duration=parts[0].duration,
        program_date_time=pdt,
        discontinuity=first_of_feed,
        discontinuity_sequence=feed.discontinuity_sequence,
        init=feed.init,
        sizes=tuple((r.resolution, len(p.data)) for r, p in zip(feed.rungs, parts, strict=True)),
    )


async def _chat(deps: PublishDeps, video_id: uuid.UUID, index: int) -> list[dict[str, Any]]:
    try:
        return await asyncio.wait_for(deps.chat.bundle(video_id, index), CHAT_WAIT_SECONDS)
    except TimeoutError:
        log.warning("chat for clip %d of %s took too long: published without", index, video_id)
        return []


async def _put_document(deps: PublishDeps, feed: FeedRun, clip: LiveClip) -> None:
    viewers = deps.tally.viewers(feed.video_id, clip.index - 1) if deps.tally else None
    document = clip_document(
        video_id=feed.video_id,
        clip=clip,
        rungs=feed.rungs,
        published_at=utcnow(),
        clip_seconds=deps.clip_seconds,
        chat=await _chat(deps, feed.video_id, clip.index),
        viewers=viewers,
    )
    key = document_key(feed.video_id, clip.index)
    await deps.storage.put_bytes(key, encode(document), DOCUMENT_TYPE)


async def _put_playlists(deps: PublishDeps, feed: FeedRun) -> None:
    for rung in feed.rungs:
        text = live_playlist(list(feed.window), deps.clip_seconds)
        key = playlist_key(feed.video_id, rung.resolution)
        await deps.storage.put_bytes(key, text.encode(), PLAYLIST_TYPE)


def as_rendition(rung: LiveRung, clips: tuple[PublishedClip, ...] = ()) -> PublishedRendition:
    return PublishedRendition(
        resolution=rung.resolution,
        width=rung.width,
        height=rung.height,
        bandwidth=rung.bandwidth,
        average_bandwidth=rung.bandwidth,
        codecs=rung.codecs,
        frame_rate=None,
        clips=clips,
    )


async def _record(deps: PublishDeps, feed: FeedRun, clip: LiveClip) -> None:
    async with deps.sessions() as session:
        stream = await session.get(LiveStream, feed.video_id, with_for_update=True)
        if stream is None:
            raise Superseded(str(feed.video_id))
        if not stream.rungs:
            renditions = [as_rendition(r) for r in feed.rungs]
            await publishing.open_live_renditions(
                session, deps.storage, feed.video_id, renditions, utcnow()
            )
            stream.rungs = [_rung_json(r) for r in feed.rungs]
        publishing.add_live_clips(
            session,
            feed.video_id,
            [
                (res, PublishedClip(clip.index, clip.media_time, clip.duration, size))
                for res, size in clip.sizes
            ],
        )
        session.add(_mark(feed.video_id, clip))
        _advance(stream, clip)
        feed.stream_started = True
        await session.commit()


def _rung_json(rung: LiveRung) -> dict[str, Any]:
    return {
        "resolution": rung.resolution,
        "width": rung.width,
        "height": rung.height,
        "bandwidth": rung.bandwidth,
        "codecs": rung.codecs,
    }


def _mark(video_id: uuid.UUID, clip: LiveClip) -> LiveClipMark:
    return LiveClipMark(
        video_id=video_id,
        index=clip.index,
        program_date_time=clip.program_date_time,
        published_at=utcnow(),
        media_time=clip.media_time,
        duration=clip.duration,
        discontinuity=clip.discontinuity,
        discontinuity_sequence=clip.discontinuity_sequence,
        init=clip.init,
    )


def clip_of_mark(mark: LiveClipMark, sizes: dict[int, int] | None = None) -> LiveClip:
    """A published clip as its row recorded it."""
    return LiveClip(
        index=mark.index,
        media_time=mark.media_time,
        duration=mark.duration,
        program_date_time=mark.program_date_time,
        discontinuity=mark.discontinuity,
        discontinuity_sequence=mark.discontinuity_sequence,
        init=mark.init,
        sizes=tuple(sorted((sizes or {}).items())),
    )


def _advance(stream: LiveStream, clip: LiveClip) -> None:
    now = utcnow()
    stream.current_index = max(clip.index, stream.current_index or 0)
    stream.discontinuities = clip.discontinuity_sequence
    stream.media_seconds = clip.media_time + clip.duration
    stream.last_clip_at = now
    stream.feed_seen_at = now
    stream.updated_at = now
