"""Queries on comments: threads and their first replies, counts, a user's latest posts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.comments.models import Comment


async def serialise_author(session: AsyncSession, author_id: uuid.UUID) -> None:
    """Hold a per-author lock until the transaction ends, so two posts at once both see each
    other when the posting limit is checked. SQLite already has one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(author_id.bytes[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def latest_times(
    session: AsyncSession, author_id: uuid.UUID, *, besides: uuid.UUID, limit: int
) -> list[datetime]:
    """When the author's latest comments (other than `besides`) were posted, newest first."""
    rows = await session.scalars(
        select(Comment.created_at)
        .where(Comment.author_id == author_id, Comment.id != besides)
        .order_by(Comment.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def counts(session: AsyncSession, video_id: uuid.UUID) -> tuple[int, int]:
    """(every comment, top-level comments) on a video."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Comment.parent_id.is_(None)),
            ).where(Comment.video_id == video_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def threads_newest(
    session: AsyncSession,
    video_id: uuid.UUID,
    *,
    besides: Sequence[uuid.UUID],
    offset: int,
    limit: int,
) -> list[Comment]:
    """Top-level comments newest first, leaving out `besides` (those already shown above)."""
    query = select(Comment).where(Comment.video_id == video_id, Comment.parent_id.is_(None))
    if besides:
        query = query.where(Comment.id.not_in(besides))
    rows = await session.scalars(
        query.order_by(Comment.created_at.desc(), Comment.id).offset(offset).limit(limit)
    )
    return list(rows)


async def threads_among(
    session: AsyncSession, video_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Comment]:
    """The top-level comments of this video among `ids` (others, and gone ones, left out)."""
    if not ids:
        return {}
    rows = await session.scalars(
        select(Comment).where(
            Comment.video_id == video_id, Comment.parent_id.is_(None), Comment.id.in_(ids)
        )
    )
    return {c.id: c for c in rows}


async def first_replies(
    session: AsyncSession, parent_ids: Sequence[uuid.UUID], per_parent: int
) -> list[Comment]:
    """The oldest `per_parent` replies of each parent (a conversation reads oldest first)."""
    if not parent_ids:
        return []
    rank = (
        func.row_number()
        .over(partition_by=Comment.parent_id, order_by=(Comment.created_at, Comment.id))
        .label("rank")
    )
    ranked = select(Comment.id, rank).where(Comment.parent_id.in_(parent_ids)).subquery()
    rows = await session.scalars(
        select(Comment)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= per_parent)
        .order_by(Comment.created_at, Comment.id)
    )
    return list(rows)


async def reply_counts(
    session: AsyncSession, parent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not parent_ids:
        return {}
    rows = await session.execute(
        select(Comment.parent_id, func.count())
        .where(Comment.parent_id.in_(parent_ids))
        .group_by(Comment.parent_id)
    )
    return {parent: int(n) for parent, n in rows if parent is not None}


async def replies_page(
    session: AsyncSession, parent_id: uuid.UUID, *, offset: int, limit: int
) -> list[Comment]:
    rows = await session.scalars(
        select(Comment)
        .where(Comment.parent_id == parent_id)
        .order_by(Comment.created_at, Comment.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows)


async def usernames(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


async def remove_with_replies(session: AsyncSession, comment: Comment) -> list[Comment]:
    """Delete a comment and, for a thread, its replies; returns what was removed."""
    gone = [comment]
    if comment.parent_id is None:
        gone += list(await session.scalars(select(Comment).where(Comment.parent_id == comment.id)))
    await session.execute(
        delete(Comment).where(or_(Comment.id == comment.id, Comment.parent_id == comment.id))
    )
    return gone
