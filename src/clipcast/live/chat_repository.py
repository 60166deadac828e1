"""Queries of live chat: what a chat socket needs to know of its stream, and the recording's
chat in position order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.live.chat_models import LiveChatMessage
from clipcast.live.chat_sync import ClipTime, Edge, NewestClip, Position
from clipcast.live.models import FeedState, LiveClipMark, LiveStream


@dataclass(frozen=True, slots=True)
class StreamFacts:
    owner_id: uuid.UUID
    ended: bool
    edge: Edge


async def stream_facts(
    session: AsyncSession, video_id: uuid.UUID, clip_seconds: float
) -> StreamFacts | None:
    """The stream's owner, whether it ended, and its live edge; None if it is no stream."""
    stream = await session.get(LiveStream, video_id)
    if stream is None:
        return None
    newest = None
    if stream.current_index is not None:
        mark = await session.get(LiveClipMark, (video_id, stream.current_index))
        if mark is not None:
            newest = NewestClip(mark.index, mark.program_date_time, mark.duration)
    edge = Edge(
        newest=newest,
        reserved=stream.next_index - 1,
        clip_seconds=clip_seconds,
        ended=stream.feed_state == FeedState.ENDED,
    )
    return StreamFacts(owner_id=stream.owner_id, ended=edge.ended, edge=edge)


async def clip_times(session: AsyncSession, video_id: uuid.UUID) -> list[ClipTime]:
    """Every published clip's place in the recording, in order."""
    rows = await session.execute(
        select(LiveClipMark.index, LiveClipMark.media_time, LiveClipMark.duration)
        .where(LiveClipMark.video_id == video_id)
        .order_by(LiveClipMark.index)
    )
    return [ClipTime(i, t, d) for i, t, d in rows]


async def replay_rows(
    session: AsyncSession,
    video_id: uuid.UUID,
    start: Position,
    after_id: uuid.UUID | None,
    limit: int,
) -> list[tuple[LiveChatMessage, str]]:
    """Messages not deleted, with their senders' names, in position order from `start`
    (after the message `after_id` at `start`, when given)."""
    key = tuple_(LiveChatMessage.clip_index, LiveChatMessage.clip_offset, LiveChatMessage.id)
    if after_id is None:
        since = tuple_(LiveChatMessage.clip_index, LiveChatMessage.clip_offset) >= tuple_(
            start.index, start.offset
        )
    else:
        since = key > tuple_(start.index, start.offset, after_id)
    rows = await session.execute(
        select(LiveChatMessage, User.username)
        .join(User, User.id == LiveChatMessage.user_id)
        .where(
            LiveChatMessage.video_id == video_id,
            LiveChatMessage.deleted_at.is_(None),
            since,
        )
        .order_by(LiveChatMessage.clip_index, LiveChatMessage.clip_offset, LiveChatMessage.id)
        .limit(limit)
    )
    return [(row, name) for row, name in rows]


async def mark_deleted(
    session: AsyncSession, video_id: uuid.UUID, message_id: uuid.UUID, now: datetime
) -> LiveChatMessage | None:
    """The message, now deleted; None if the stream has no such message."""
    row = await session.get(LiveChatMessage, message_id)
    if row is None or row.video_id != video_id:
        return None
    if row.deleted_at is None:
        row.deleted_at = now
    return row
