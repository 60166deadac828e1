"""What the CDN route reads from SQL: a video's visibility and key version (on a cache miss)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.cdn.access import Loader, MediaAccess
from clipcast.videos.lifecycle import Visibility
from clipcast.videos.models import Video


def access_loader(sessions: async_sessionmaker[AsyncSession]) -> Loader:
    """Reads one video's media access; None when there is no such video."""

    async def load(video_id: uuid.UUID) -> MediaAccess | None:
        async with sessions() as session:
            row = (
                await session.execute(
                    select(Video.visibility, Video.key_version).where(Video.id == video_id)
                )
            ).first()
        if row is None:
            return None
        return MediaAccess(public=row.visibility == Visibility.PUBLIC, key_version=row.key_version)

    return load


async def every_access(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[uuid.UUID, MediaAccess]]:
    """Every video's media access (for the edge's gate, which holds them all)."""
    async with sessions() as session:
        rows = await session.execute(select(Video.id, Video.visibility, Video.key_version))
        return [
            (r.id, MediaAccess(public=r.visibility == Visibility.PUBLIC, key_version=r.key_version))
            for r in rows
        ]
