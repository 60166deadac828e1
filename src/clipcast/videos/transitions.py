"""Every write to a video row's processing state: created while uploading, processing, the
facts of its source, progress, ready, failed, discarded. Uploads and transcoding ask for these
moves; the rules (lifecycle.py) are applied here, in one place.

Functions taking a `session` join the caller's unit of work (an upload row and its video are
created, or handed on, in one transaction); those taking `sessions` commit on their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.outbox.repository import add_event
from clipcast.videos.lifecycle import VideoState, Visibility, check_transition
from clipcast.videos.models import Video


class VideoGone(Exception):
    """The video was deleted while it was processing."""


@dataclass(frozen=True)
class NewVideo:
    """What the uploader said about a video, already validated."""

    title: str
    description: str
    filename: str
    visibility: Visibility
    tags: list[str]
    groups: tuple[uuid.UUID, ...] = ()  # the share groups of a `group` video


@dataclass(frozen=True)
class SourceFacts:
    """What probing the source found out, kept on the video row."""

    duration: float
    width: int
    height: int
    has_audio: bool
    has_video: bool


def add_uploading(
    session: AsyncSession, video_id: uuid.UUID, owner_id: uuid.UUID, new: NewVideo, now: datetime
) -> Video:
    """A video row in `uploading`, in the caller's transaction (beside its upload row)."""
    video = Video(
        id=video_id,
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
        title=new.title,
        description=new.description,
        filename=new.filename,
        visibility=new.visibility,
        tags=new.tags,
        state=VideoState.UPLOADING,
        progress=0,
        playable=False,
        thumbnails={},
    )
    session.add(video)
    return video


def add_live(
    session: AsyncSession, video_id: uuid.UUID, owner_id: uuid.UUID, new: NewVideo, now: datetime
) -> Video:
    """A video row in `live`, in the caller's transaction (beside its stream row), announced
    with `video.updated` so search lists it at once; playable from its first clip."""
    video = Video(
        id=video_id,
        owner_id=owner_id,
        created_at=now,
        updated_at=now,
        title=new.title,
        description=new.description,
        filename=new.filename,
        visibility=new.visibility,
        tags=new.tags,
        state=VideoState.LIVE,
        progress=0,
        playable=False,
        thumbnails={},
    )
    session.add(video)
    add_event(session, "video.updated", {"video_id": str(video_id), "fields": ["state"]}, now)
    return video


async def end_live(session: AsyncSession, video_id: uuid.UUID, now: datetime) -> bool:
    """`live` -> `processing` (its recording being made a video) in the caller's transaction;
    False if the video is gone or no longer live."""
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None or video.state != VideoState.LIVE:
        return False
    check_transition(VideoState.LIVE, VideoState.PROCESSING)
    video.state = VideoState.PROCESSING
    video.updated_at = now
    return True


async def start_processing(session: AsyncSession, video_id: uuid.UUID, now: datetime) -> bool:
    """`uploading` -> `processing` in the caller's transaction; False if the video is gone."""
    video = await session.get(Video, video_id, with_for_update=True)
    if video is None:
        return False
    check_transition(VideoState(video.state), VideoState.PROCESSING)
    video.state = VideoState.PROCESSING
    video.updated_at = now
    return True


async def discard_unfinished(session: AsyncSession, video_id: uuid.UUID) -> None:
    """An upload given up (terminated or expired) takes its video with it; rows cascade."""
    video = await session.get(Video, video_id)
    if video is not None and video.state == VideoState.UPLOADING:
        await session.delete(video)


async def state_of(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID
) -> tuple[VideoState, str | None] | None:
    """The video's state and failure reason; None when it is gone."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(Video.state, Video.failure_reason).where(Video.id == video_id)
            )
        ).first()
    return None if row is None else (VideoState(row.state), row.failure_reason)


async def record_source(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, facts: SourceFacts
) -> None:
    async with sessions() as session:
        video = await session.get(Video, video_id)
        if video is None:
            raise VideoGone(str(video_id))
        video.duration = facts.duration
        video.width = facts.width or None
        video.height = facts.height or None
        video.has_audio = facts.has_audio
        video.has_video = facts.has_video
        await session.commit()


async def set_progress(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, value: int
) -> None:
    """Progress only moves forward, and stays under 100 until the video is ready."""
    async with sessions() as session:
        video = await session.get(Video, video_id)
        if video is None:
            raise VideoGone(str(video_id))
        if video.state == VideoState.PROCESSING and value > video.progress:
            video.progress = min(value, 99)
            await session.commit()


async def mark_ready(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, now: datetime
) -> None:
    """`ready` and the `video.ready` event commit together, or neither does, exactly once.

    A compare-and-set rather than read-then-write: of two runs of one job (one taken over from
    a worker presumed dead, which was only slow), only one moves the video to ready.
    """
    async with sessions() as session:
        moved = await session.execute(
            update(Video)
            .where(Video.id == video_id, Video.state == VideoState.PROCESSING)
            .values(state=VideoState.READY, progress=100, playable=True, updated_at=now)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            add_event(session, "video.ready", {"video_id": str(video_id)}, now)
            await session.commit()
            return
        state = await session.scalar(select(Video.state).where(Video.id == video_id))
    if state is None:
        raise VideoGone(str(video_id))
    if state != VideoState.READY:
        check_transition(VideoState(state), VideoState.READY)  # raises: it failed meanwhile


async def mark_failed(
    sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, reason: str, now: datetime
) -> str | None:
    """`failed` with a reason a person can read, announced with `video.failed`.

    Returns the reason that stands: this one, another run's if it failed first, or None when
    the video is gone.
    """
    async with sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            return None
        if video.state == VideoState.FAILED:
            return video.failure_reason  # another run said why
        check_transition(VideoState(video.state), VideoState.FAILED)
        video.state = VideoState.FAILED
        video.failure_reason = reason
        video.playable = False
        video.updated_at = now
        add_event(session, "video.failed", {"video_id": str(video_id), "reason": reason}, now)
        await session.commit()
    return reason
