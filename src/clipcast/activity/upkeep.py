"""Upkeep of activity, every few minutes: log partitions ahead, days past retention rolled up
and dropped, frozen increments whose bus event gave up applied, old view windows, stale
pending batches and old hot buckets forgotten."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import rules
from clipcast.activity.models import PendingBatch, PendingDeltas, ViewWindow, WatchHistory
from clipcast.activity.partitions import LogPartitions, maintain
from clipcast.activity.service import flush
from clipcast.adapters.counters.base import Counters
from clipcast.core.clock import utcnow

log = logging.getLogger(__name__)
EVERY_SECONDS = 300.0
# Frozen increments still here this long after their SQL commit lost their bus event (it was
# dead-lettered, e.g. through a long Redis outage): upkeep applies them, once, by batch id.
ORPHAN_AFTER = timedelta(minutes=10)
# A view window only matters while events of its hour may still arrive (24 h after their
# time at most, plus however long the bus holds them): a week is far on the safe side.
WINDOW_KEEP = timedelta(days=7)
# A pending batch older than this never reached the counters (its event was dead-lettered):
# read-your-writes stops showing it.
PENDING_KEEP = timedelta(days=7)
# An anonymous viewer's resume points (their only history) are kept this long after their
# last watch; a cookie lost or never seen again would otherwise keep rows for ever.
ANONYMOUS_KEEP = timedelta(days=30)


async def upkeep(
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    partitions: LogPartitions,
    *,
    now: datetime,
    retention_days: int,
) -> None:
    dropped = await maintain(sessions, partitions, now=now, retention_days=retention_days)
    if dropped:
        log.info("activity log: rolled up and dropped %d day(s) past retention", dropped)
    await _apply_orphans(sessions, counters, before=now - ORPHAN_AFTER)
    first_hour = int((now - WINDOW_KEEP).timestamp()) // 3600
    async with sessions() as session, session.begin():
        await session.execute(delete(ViewWindow).where(ViewWindow.hour < first_hour))
        await session.execute(
            delete(PendingBatch).where(PendingBatch.received_at < now - PENDING_KEEP)
        )
        forgotten = WatchHistory.last_watched_at < now - ANONYMOUS_KEEP
        await session.execute(delete(WatchHistory).where(~WatchHistory.signed_in, forgotten))
    await counters.prune(now=now, hot_hours=rules.HOT_WINDOW_HOURS + 1)


async def _apply_orphans(
    sessions: async_sessionmaker[AsyncSession], counters: Counters, *, before: datetime
) -> None:
    async with sessions() as session:
        orphans = list(
            await session.scalars(
                select(PendingDeltas.batch_id).where(PendingDeltas.created_at < before)
            )
        )
    if orphans:
        log.warning("applying %d batch(es) of counter increments left behind", len(orphans))
        await flush(sessions=sessions, counters=counters, batch_ids=orphans)


async def run_upkeep(
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    *,
    retention_days: int,
    stop: asyncio.Event,
    every_seconds: float = EVERY_SECONDS,
) -> None:
    """Upkeep now, then every `every_seconds` until `stop`; a failure waits for the next round."""
    partitions = LogPartitions()
    while not stop.is_set():
        try:
            await upkeep(
                sessions, counters, partitions, now=utcnow(), retention_days=retention_days
            )
        except Exception:  # whatever failed (database, Redis), the next round tries again
            log.exception("activity upkeep failed; next round in %.0f s", every_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
