"""Bus consumer of the search node: video events -> the index, by re-reading SQL."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Event
from clipcast.adapters.search.base import SearchIndex
from clipcast.search import service

VIDEO_READY = "video.ready"
VIDEO_UPDATED = "video.updated"
VIDEO_DELETED = "video.deleted"
# What a search node subscribes to; each node keeps a whole index, so each is its own group.
TOPICS = (VIDEO_READY, VIDEO_UPDATED, VIDEO_DELETED)


async def handle(
    event: Event, *, sessions: async_sessionmaker[AsyncSession], index: SearchIndex
) -> None:
    """Idempotent without remembering event ids: the outcome depends on SQL now, not on how
    many times or in which order the events came."""
    video_id = uuid.UUID(str(event.payload["video_id"]))
    if event.topic == VIDEO_DELETED:
        await service.remove_video(index=index, video_id=video_id)
        return
    await service.index_video(sessions=sessions, index=index, video_id=video_id)
