"""Forgetting what the bus no longer needs, so its tables do not grow for ever.

Older than the retention (`CLIPCAST_EVENT_RETENTION_HOURS`, a week by default) and settled:
outbox rows the broker has confirmed; the embedded bus's acked deliveries, and its events
that no group is owed any more; consumers' dedupe records. What is not settled stays however
old it is: an unpublished outbox row (the broker was down), a pending delivery, a dead letter
(someone should look at it; its event stays with it). A dedupe record only has to outlive
the redeliveries of its event, which come within minutes (ack wait × delivery cap), so a week
is far on the safe side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, Delete, delete, exists
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.clock import utcnow
from clipcast.events.models import BusDelivery, BusEvent, ProcessedEvent
from clipcast.outbox.models import OutboxEvent

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Pruned:
    outbox: int
    deliveries: int
    bus_events: int
    dedupe: int

    @property
    def total(self) -> int:
        return self.outbox + self.deliveries + self.bus_events + self.dedupe


async def prune(sessions: async_sessionmaker[AsyncSession], *, before: datetime) -> Pruned:
    """Delete what was settled before `before`; returns how many rows of each kind."""
    async with sessions() as session, session.begin():
        outbox = await _count(session, delete(OutboxEvent).where(OutboxEvent.published_at < before))
        deliveries = await _count(session, delete(BusDelivery).where(BusDelivery.acked_at < before))
        owed = exists().where(BusDelivery.event_seq == BusEvent.seq)
        bus_events = await _count(
            session, delete(BusEvent).where(BusEvent.created_at < before, ~owed)
        )
        dedupe = await _count(
            session, delete(ProcessedEvent).where(ProcessedEvent.processed_at < before)
        )
    return Pruned(outbox, deliveries, bus_events, dedupe)


async def _count(session: AsyncSession, statement: Delete) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


async def run_pruner(
    sessions: async_sessionmaker[AsyncSession],
    *,
    retention: timedelta,
    stop: asyncio.Event,
    every_seconds: float = PRUNE_EVERY_SECONDS,
) -> None:
    """Prune now and then every `every_seconds` until `stop`; a failure waits for the next
    round (the rows are still there, and nothing depends on their going now)."""
    while not stop.is_set():
        try:
            pruned = await prune(sessions, before=utcnow() - retention)
        except Exception:
            log.exception("pruning settled events failed")
        else:
            if pruned.total:
                log.info("pruned settled events: %s", pruned)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_seconds)
