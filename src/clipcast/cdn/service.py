"""Deciding whether a CDN request may be served: video visibility and playback tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.cdn.signing import verify_playback
from clipcast.videos.lifecycle import Visibility
from clipcast.videos.models import Video


async def media_access(
    *,
    sessions: async_sessionmaker[AsyncSession],
    secret: bytes,
    video_id: uuid.UUID,
    token: str | None,
    now: datetime,
) -> bool | None:
    """None: refuse. True: public media. False: served privately under a valid token.

    A token opens the media only at the video's current key version: one handed out before
    the audience narrowed (videos/audience.py) is refused at once, not when it expires.
    """
    async with sessions() as session:
        row = (
            await session.execute(
                select(Video.visibility, Video.key_version).where(Video.id == video_id)
            )
        ).first()
    if row is None:
        return None
    if token is not None:
        valid = verify_playback(secret, token, video_id, now, key_version=row.key_version)
        return False if valid else None
    return True if row.visibility == Visibility.PUBLIC else None
