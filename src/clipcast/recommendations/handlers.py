"""Bus consumers of recommendations: video events remake a video's system tags; a signed-in
viewer's activity asks for their list to be remade once they are quiet (debounced)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Event
from clipcast.core.clock import utcnow
from clipcast.recommendations import service
from clipcast.recommendations.service import RecsConfig

VIDEO_READY = "video.ready"
VIDEO_UPDATED = "video.updated"
ACTIVITY_BATCH = "activity.batch"
TAG_TOPICS = (VIDEO_READY, VIDEO_UPDATED)
TOPICS = (*TAG_TOPICS, ACTIVITY_BATCH)
GROUP = "recs"


async def handle(
    event: Event, *, sessions: async_sessionmaker[AsyncSession], config: RecsConfig
) -> None:
    """Idempotent: tags are recomputed from SQL as it is now, and a refresh request for a user
    already waiting only moves its due time."""
    if event.topic in TAG_TOPICS:
        await service.tag_video(
            sessions=sessions, video_id=uuid.UUID(str(event.payload["video_id"]))
        )
        return
    if event.topic == ACTIVITY_BATCH and event.payload.get("signed_in"):
        user_id = uuid.UUID(str(event.payload["viewer_id"]))
        await service.request_refresh(
            sessions=sessions, user_id=user_id, now=utcnow(), config=config
        )
