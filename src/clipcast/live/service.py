"""Use cases of live streams: create one (its video is live and found at once), rotate its key,
read it, hand viewers the current clip document, authorise a feed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.errors import NotFound, Unauthorized
from clipcast.core.ids import new_id
from clipcast.live.keys import document_path
from clipcast.live.models import FeedState, LiveStream
from clipcast.live.schemas import CurrentOut, IngestOut, StreamIn, StreamOut
from clipcast.videos.access import visible_video
from clipcast.videos.audience import check_audience, check_owned, share_new
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from clipcast.videos.service import Viewer, media_root_for
from clipcast.videos.tags import normalise_tags
from clipcast.videos.transitions import NewVideo, add_live
from clipcast.videos.urls import master_url

KEY_PREFIX = "live_"


def new_stream_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Links:
    """The addresses a stream's answers name."""

    base_url: str  # http(s)://host of the site


def _ws_url(base_url: str, video_id: uuid.UUID) -> str:
    scheme, _, rest = base_url.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/api/v1/streams/{video_id}/ingest"


def _out(stream: LiveStream, video: Video, links: Links, key: str | None = None) -> StreamOut:
    return StreamOut(
        id=video.id,
        title=video.title,
        state=VideoState(video.state),
        feed=FeedState(stream.feed_state),
        visibility=Visibility(video.visibility),
        created_at=stream.created_at,
        current_index=stream.current_index,
        media_seconds=stream.media_seconds,
        feed_error=stream.feed_error,
        watch_url=f"{links.base_url}/live/{video.id}",
        ingest=IngestOut(websocket=_ws_url(links.base_url, video.id)),
        stream_key=key,
    )


async def create_stream(
    *,
    sessions: async_sessionmaker[AsyncSession],
    owner_id: uuid.UUID,
    body: StreamIn,
    links: Links,
    now: datetime,
) -> StreamOut:
    """A stream and its video (state `live`, announced so search finds it at once); the
    answer carries the stream key, which is never shown again."""
    check_audience(body.visibility, body.groups)
    await check_owned(sessions=sessions, owner_id=owner_id, group_ids=body.groups)
    new = NewVideo(
        title=body.title.strip(),
        description=body.description.strip(),
        filename="",
        visibility=body.visibility,
        tags=normalise_tags(body.tags),
    )
    key, video_id = new_stream_key(), new_id()
    async with sessions() as session:
        video = add_live(session, video_id, owner_id, new, now)
        await session.flush()
        await share_new(session, video, body.groups)
        stream = LiveStream(
            video_id=video_id,
            owner_id=owner_id,
            key_hash=key_hash(key),
            created_at=now,
            updated_at=now,
            feed_state=FeedState.WAITING,
            epoch=0,
            next_index=0,
            discontinuities=0,
            media_seconds=0.0,
            rungs=[],
        )
        session.add(stream)
        await session.commit()
        return _out(stream, video, links, key)


async def _owned(
    session: AsyncSession, video_id: uuid.UUID, owner_id: uuid.UUID
) -> tuple[LiveStream, Video]:
    stream = await session.get(LiveStream, video_id)
    video = await session.get(Video, video_id)
    if stream is None or video is None or stream.owner_id != owner_id:
        raise NotFound("No such stream.", code="stream_not_found")
    return stream, video


async def get_stream(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    owner_id: uuid.UUID,
    links: Links,
) -> StreamOut:
    """The streamer's view of their stream (others get NotFound; viewers ask `current`)."""
    async with sessions() as session:
        stream, video = await _owned(session, video_id, owner_id)
        return _out(stream, video, links)


async def rotate_key(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    owner_id: uuid.UUID,
    links: Links,
    now: datetime,
) -> StreamOut:
    """A new stream key; the old one stops working, and a feed sent with it stops too."""
    key = new_stream_key()
    async with sessions() as session:
        stream, video = await _owned(session, video_id, owner_id)
        stream.key_hash = key_hash(key)
        stream.epoch += 1  # the feed in progress, if any, publishes nothing more
        stream.updated_at = now
        await session.commit()
        return _out(stream, video, links, key)


async def current(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    viewer: Viewer,
    clip_seconds: int,
) -> CurrentOut:
    """The newest clip document's URL: the one call a viewer makes to the service."""
    async with sessions() as session:
        video = await visible_video(session, video_id, viewer.user_id)
        stream = await session.get(LiveStream, video_id)
    if stream is None:
        raise NotFound("This video is not a live stream.", code="stream_not_found")
    root, _ = media_root_for(
        Visibility(video.visibility),
        video_id,
        base_url=viewer.base_url,
        secret=viewer.secret,
        token_ttl=viewer.token_ttl,
        now=viewer.now,
        key_version=video.key_version,
    )
    ended = stream.feed_state == FeedState.ENDED
    # Before the first clip, and once ended, the document to read is the next one: the first
    # clip's, or the end marker the last clip points to.
    index = stream.next_index if ended or stream.current_index is None else stream.current_index
    return CurrentOut(
        stream_id=video_id,
        state=VideoState(video.state),
        index=index,
        document=root + document_path(index),
        clip_seconds=clip_seconds,
        server_time=viewer.now,
        vod=master_url(root) if ended and video.state == VideoState.READY else None,
    )


@dataclass(frozen=True)
class FeedTicket:
    """A feed allowed into a stream."""

    video_id: uuid.UUID
    owner_id: uuid.UUID


async def authorize_feed(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    key: str | None,
    user_id: uuid.UUID | None,
) -> FeedTicket:
    """A feed for this stream sent with its key, or by its owner's session. The key of
    another stream, an ended stream or no credentials at all: Unauthorized, saying no more."""
    async with sessions() as session:
        stream = await session.get(LiveStream, video_id)
        if stream is not None and stream.feed_state != FeedState.ENDED:
            by_key = key is not None and hmac.compare_digest(stream.key_hash, key_hash(key))
            if by_key or (user_id is not None and user_id == stream.owner_id):
                return FeedTicket(video_id=video_id, owner_id=stream.owner_id)
    raise Unauthorized("Not a stream key or owner of this live stream.", code="bad_stream_key")
