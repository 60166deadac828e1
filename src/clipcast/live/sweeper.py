"""Ending the streams nobody feeds any more, and finishing the ends a crash interrupted: run
beside the outbox relay (every API process). Two sweepers at once do no harm: the end is a
compare-and-set and each step of making the video is idempotent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.clock import utcnow
from clipcast.live import repository as repo
from clipcast.live.finishing import finish_stream, mark_ended

log = logging.getLogger(__name__)

NEVER_FED = timedelta(hours=24)  # a stream set up but never sent to ends after this
EVERY_SECONDS = 15.0


async def sweep_once(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    clip_seconds: int,
    end_after: timedelta,
    now: datetime,
) -> int:
    """End and finish what is due now; how many streams it touched."""
    async with sessions() as session:
        due = await repo.abandoned(
            session, fed_before=now - end_after, created_before=now - NEVER_FED
        )
    for video_id in due:
        if await mark_ended(sessions, video_id, now):
            log.info("stream %s ended: no feed for %s", video_id, end_after)
        await finish_stream(
            sessions=sessions,
            storage=storage,
            video_id=video_id,
            clip_seconds=clip_seconds,
            now=now,
        )
    return len(due)


async def run_sweeper(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    clip_seconds: int,
    end_after_seconds: float,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            await sweep_once(
                sessions=sessions,
                storage=storage,
                clip_seconds=clip_seconds,
                end_after=timedelta(seconds=end_after_seconds),
                now=utcnow(),
            )
        except (SQLAlchemyError, OSError) as exc:  # the next round tries again
            log.warning("live sweeper: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY_SECONDS)
