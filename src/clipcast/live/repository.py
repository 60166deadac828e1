"""Queries on live streams and their clips' live facts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.live.models import FeedState, LiveClipMark, LiveStream
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Clip, Video


async def take_epoch(session: AsyncSession, video_id: uuid.UUID, now: datetime) -> int | None:
    """The next epoch for a new feed (any feed before it stops publishing); None if the
    stream ended or is gone."""
    moved = await session.execute(
        update(LiveStream)
        .where(LiveStream.video_id == video_id, LiveStream.feed_state != FeedState.ENDED)
        .values(
            epoch=LiveStream.epoch + 1,
            feed_state=FeedState.RECEIVING,
            feed_seen_at=now,
            feed_error=None,
            updated_at=now,
        )
        .returning(LiveStream.epoch)
    )
    return moved.scalar_one_or_none()


async def reserve_index(session: AsyncSession, video_id: uuid.UUID, epoch: int) -> int | None:
    """The next clip index, taken for this feed; None when the feed was superseded."""
    moved = await session.execute(
        update(LiveStream)
        .where(LiveStream.video_id == video_id, LiveStream.epoch == epoch)
        .values(next_index=LiveStream.next_index + 1)
        .returning(LiveStream.next_index)
    )
    taken = moved.scalar_one_or_none()
    return None if taken is None else int(taken) - 1


async def recent_marks(
    session: AsyncSession, video_id: uuid.UUID, limit: int
) -> Sequence[tuple[LiveClipMark, dict[int, int]]]:
    """The newest `limit` clips' live facts, oldest first, with their sizes per resolution."""
    marks = list(
        await session.scalars(
            select(LiveClipMark)
            .where(LiveClipMark.video_id == video_id)
            .order_by(LiveClipMark.index.desc())
            .limit(limit)
        )
    )
    marks.reverse()
    sizes = await _sizes(session, video_id, [m.index for m in marks])
    return [(m, sizes.get(m.index, {})) for m in marks]


async def all_marks(session: AsyncSession, video_id: uuid.UUID) -> list[LiveClipMark]:
    rows = await session.scalars(
        select(LiveClipMark).where(LiveClipMark.video_id == video_id).order_by(LiveClipMark.index)
    )
    return list(rows)


async def _sizes(
    session: AsyncSession, video_id: uuid.UUID, indexes: list[int]
) -> dict[int, dict[int, int]]:
    if not indexes:
        return {}
    rows = await session.execute(
        select(Clip.index, Clip.resolution, Clip.byte_size).where(
            Clip.video_id == video_id, Clip.index.in_(indexes)
        )
    )
    out: dict[int, dict[int, int]] = {}
    for index, resolution, size in rows:
        out.setdefault(index, {})[resolution] = size
    return out


async def rendition_totals(
    session: AsyncSession, video_id: uuid.UUID
) -> dict[int, tuple[int, float, float]]:
    """Per resolution: total bytes, total seconds, and the highest bits/s of any clip."""
    rows = await session.execute(
        select(
            Clip.resolution,
            func.sum(Clip.byte_size),
            func.sum(Clip.duration),
            func.max(Clip.byte_size * 8 / func.nullif(Clip.duration, 0)),
        )
        .where(Clip.video_id == video_id)
        .group_by(Clip.resolution)
    )
    return {r: (int(b or 0), float(s or 0), float(p or 0)) for r, b, s, p in rows}


async def abandoned(
    session: AsyncSession, *, fed_before: datetime, created_before: datetime
) -> list[uuid.UUID]:
    """Streams to end: their feed has been gone since `fed_before`, or none ever came and they
    were created before `created_before`; and ended streams whose video is not settled yet
    (their end was interrupted)."""
    gone = (LiveStream.feed_state != FeedState.ENDED) & or_(
        LiveStream.feed_seen_at < fed_before,
        LiveStream.feed_seen_at.is_(None) & (LiveStream.created_at < created_before),
    )
    unsettled = (LiveStream.feed_state == FeedState.ENDED) & Video.state.in_(
        (VideoState.LIVE, VideoState.PROCESSING)
    )
    rows = await session.scalars(
        select(LiveStream.video_id)
        .join(Video, Video.id == LiveStream.video_id)
        .where(or_(gone, unsettled))
        .limit(100)
    )
    return list(rows)
