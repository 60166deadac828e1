"""Who may see a video: the one answer every feature asks (watch, listings, comments, activity,
recommendations). A video the caller may not see is reported as missing, never as forbidden."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.core.errors import NotFound
from clipcast.videos.lifecycle import Visibility, can_watch
from clipcast.videos.models import Video


async def may_see(
    session: AsyncSession,  # noqa: ARG001 - group membership is read through it
    video: Video,
    user_id: uuid.UUID | None,
) -> bool:
    """Whether `user_id` (None: an anonymous viewer) may see this video's page and media."""
    return can_watch(
        visibility=Visibility(video.visibility),
        owner_id=video.owner_id,
        viewer_id=user_id,
        has_token=False,
    )


async def visible_video(
    session: AsyncSession, video_id: uuid.UUID, user_id: uuid.UUID | None
) -> Video:
    """The video if the caller may see it; otherwise NotFound, so hidden ids are not revealed."""
    video = await session.get(Video, video_id)
    if video is None or not await may_see(session, video, user_id):
        raise NotFound("No such video.", code="video_not_found")
    return video
