"""Queries on videos, renditions and clips."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.videos.access import listed_for
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Clip, Rendition, Video


async def owners(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: row.username for row in rows}


async def renditions_of(session: AsyncSession, video_ids: Sequence[uuid.UUID]) -> list[Rendition]:
    if not video_ids:
        return []
    result = await session.scalars(select(Rendition).where(Rendition.video_id.in_(video_ids)))
    return list(result)


async def page_of_videos(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID | None,
    page: int,
    per_page: int,
    viewer_id: uuid.UUID | None = None,
) -> tuple[list[Video], int]:
    """Playable videos listed for `viewer_id` (owner_id None: public ones, and group ones
    shared with the viewer), or every video of one owner; newest first."""
    if owner_id is None:
        # Live streams are listed from the start: they are watched while they happen.
        where = [listed_for(viewer_id), Video.state.in_((VideoState.READY, VideoState.LIVE))]
    else:
        where = [Video.owner_id == owner_id]
    total = await session.scalar(select(func.count()).select_from(Video).where(*where))
    rows = await session.scalars(
        select(Video)
        .where(*where)
        .order_by(Video.created_at.desc(), Video.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), int(total or 0)


async def clips_page(
    session: AsyncSession, video_id: uuid.UUID, resolution: int, start: int, limit: int
) -> tuple[list[Clip], int]:
    where = [Clip.video_id == video_id, Clip.resolution == resolution]
    total = await session.scalar(select(func.count()).select_from(Clip).where(*where))
    rows = await session.scalars(
        select(Clip).where(*where, Clip.index >= start).order_by(Clip.index).limit(limit)
    )
    return list(rows), int(total or 0)
