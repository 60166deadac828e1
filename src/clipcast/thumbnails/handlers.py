"""Bus consumers of thumbnails."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Event
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.ids import parse_uuid
from clipcast.settings import Settings
from clipcast.thumbnails.service import make_thumbnails

log = logging.getLogger(__name__)


async def handle_video_ready(
    event: Event,
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    settings: Settings,
) -> None:
    """`video.ready` → thumbnails. Safe to deliver any number of times."""
    video_id = parse_uuid(str(event.payload.get("video_id", "")))
    if video_id is None:
        # Redelivering a malformed event cannot fix it: acknowledge it and say so.
        log.warning("event %s (%s) names no video: %r", event.id, event.topic, event.payload)
        return
    await make_thumbnails(sessions=sessions, storage=storage, settings=settings, video_id=video_id)
