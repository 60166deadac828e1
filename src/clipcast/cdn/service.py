"""Deciding whether a CDN request may be served: video visibility and playback tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

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
    """None: refuse. True: public media. False: served privately under a valid token."""
    async with sessions() as session:
        video = await session.get(Video, video_id)
    if video is None:
        return None
    if token is not None:
        return False if verify_playback(secret, token, video_id, now) else None
    return True if video.visibility == Visibility.PUBLIC else None
