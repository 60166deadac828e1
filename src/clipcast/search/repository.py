"""Queries that feed the index: one video with its owner's name, or all of them in batches."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Video


async def video_with_owner(session: AsyncSession, video_id: uuid.UUID) -> tuple[Video, str] | None:
    row = (
        await session.execute(
            select(Video, User.username)
            .join(User, User.id == Video.owner_id)
            .where(Video.id == video_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def ready_videos(
    session: AsyncSession, batch_size: int
) -> AsyncIterator[list[tuple[Video, str]]]:
    """Every ready video with its owner's name, in batches, by id (keyset pagination keeps each
    batch as cheap as the first)."""
    after: uuid.UUID | None = None
    while True:
        query = (
            select(Video, User.username)
            .join(User, User.id == Video.owner_id)
            .where(Video.state.in_((VideoState.READY, VideoState.LIVE)))
            .order_by(Video.id)
            .limit(batch_size)
        )
        if after is not None:
            query = query.where(Video.id > after)
        rows = [(video, name) for video, name in await session.execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1][0].id
