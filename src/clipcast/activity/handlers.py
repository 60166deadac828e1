"""Bus consumer of activity: batches -> history, the activity log and the counters; a deleted
video's or comment's counters forgotten."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import service
from clipcast.activity.partitions import LogPartitions
from clipcast.adapters.bus.base import BatchBus, Event, Subscription
from clipcast.adapters.counters.base import Counters

VIDEO_DELETED = "video.deleted"
COMMENT_DELETED = "comment.deleted"
GROUP = "activity"
TOPICS = (service.ACTIVITY_BATCH, VIDEO_DELETED, COMMENT_DELETED)
# Bus events (each one API batch of up to CLIPCAST_ACTIVITY_MAX_EVENTS) per transaction.
MAX_BATCH = 64


async def handle(
    events: list[Event],
    *,
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    partitions: LogPartitions,
    clip_seconds: int,
) -> Collection[uuid.UUID]:
    """A BatchHandler body: returns the ids of the events that failed (redelivered later).
    Idempotent by event id and by batch id, so redeliveries in any order converge."""
    for event in events:
        if event.topic == VIDEO_DELETED:
            await counters.forget_video(uuid.UUID(str(event.payload["video_id"])))
        elif event.topic == COMMENT_DELETED:
            # Out of the video's popular-comments set: a removed comment would otherwise keep
            # a place in sort=top's first page (read filters it, leaving the page short).
            await counters.forget_comment(
                uuid.UUID(str(event.payload["video_id"])),
                uuid.UUID(str(event.payload["comment_id"])),
            )
    batches = [event for event in events if event.topic == service.ACTIVITY_BATCH]
    if not batches:
        return set()
    return await service.apply_batches(
        batches,
        sessions=sessions,
        counters=counters,
        partitions=partitions,
        clip_seconds=clip_seconds,
    )


async def subscribe(
    bus: BatchBus,
    *,
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    clip_seconds: int,
) -> Subscription:
    """Join the `activity` consumer group; batches of up to MAX_BATCH bus events are applied
    in one transaction."""
    partitions = LogPartitions()

    async def run(events: list[Event]) -> Collection[uuid.UUID]:
        return await handle(
            events,
            sessions=sessions,
            counters=counters,
            partitions=partitions,
            clip_seconds=clip_seconds,
        )

    return await bus.subscribe_batches(GROUP, list(TOPICS), run, max_batch=MAX_BATCH)
