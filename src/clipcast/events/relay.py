"""The outbox relay: publishes committed events in order, marking them only after the ack."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Bus, BusUnavailable, Event
from clipcast.core.clock import utcnow
from clipcast.outbox.models import OutboxEvent

log = logging.getLogger(__name__)
_COLUMNS = (
    OutboxEvent.seq,
    OutboxEvent.id,
    OutboxEvent.topic,
    OutboxEvent.payload,
    OutboxEvent.created_at,
)
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 10.0


async def relay_once(
    sessions: async_sessionmaker[AsyncSession], bus: Bus, *, batch: int, window: int = 1024
) -> int:
    """Publish up to `batch` unpublished rows in `seq` order; returns how many were marked.

    Up to `window` publishes are in flight at once (the bus keeps their order). On the first
    one the broker does not confirm, the rows before it are marked and BusUnavailable is
    raised: the rest stay unmarked and go again, in order, on the next call. A crash after
    publishing but before marking re-publishes those rows later; the broker's dedupe (and
    the consumers', by event id) makes that harmless.
    """
    async with sessions() as session, session.begin():
        # FOR UPDATE (PostgreSQL) makes a second relay wait for this batch rather than
        # publish the same rows side by side; SQLite has one process and ignores it.
        # Plain rows rather than ORM objects: the relay is the hot path of every event.
        rows = (
            await session.execute(
                select(*_COLUMNS)
                .where(OutboxEvent.published_at.is_(None))
                .order_by(OutboxEvent.seq)
                .limit(batch)
                .with_for_update()
            )
        ).all()
        events = [
            Event(id=r.id, topic=r.topic, payload=r.payload, created_at=r.created_at) for r in rows
        ]
        confirmed, failure = await _publish_prefix(bus, events, window)
        if confirmed:
            sent = [row.seq for row in rows[:confirmed]]
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq.in_(sent))
                .values(published_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    if failure is not None:
        raise failure
    return confirmed


async def _publish_prefix(
    bus: Bus, events: Sequence[Event], window: int
) -> tuple[int, BusUnavailable | None]:
    """How many leading events the broker confirmed, and the failure that stopped it, if any."""
    done = 0
    for start in range(0, len(events), window):
        chunk = events[start : start + window]
        results = await asyncio.gather(*(bus.publish(e) for e in chunk), return_exceptions=True)
        for result in results:
            if isinstance(result, BusUnavailable):
                return done, result
            if isinstance(result, BaseException):
                raise result  # not a broker outage: a bug to surface, not to retry
            done += 1
    return done, None


async def run_relay(
    sessions: async_sessionmaker[AsyncSession],
    bus: Bus,
    *,
    stop: asyncio.Event,
    idle_seconds: float = 0.1,
    batch: int = 1024,
    window: int = 1024,
) -> None:
    """Relay until `stop` is set: drain while rows wait, poll every `idle_seconds` when idle,
    and back off (doubling up to 10 s) while the broker or the database is down."""
    backoff = FIRST_BACKOFF_SECONDS
    while not stop.is_set():
        try:
            sent = await relay_once(sessions, bus, batch=batch, window=window)
        except BusUnavailable as exc:
            log.warning("outbox relay: broker unavailable (%s); retry in %.1fs", exc, backoff)
        except (OperationalError, InterfaceError, OSError) as exc:
            log.warning("outbox relay: database unavailable (%r); retry in %.1fs", exc, backoff)
        else:
            backoff = FIRST_BACKOFF_SECONDS
            if sent < batch:
                await _sleep_unless(stop, idle_seconds)
            continue
        await _sleep_unless(stop, backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def outbox_lag(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, float]:
    """Unpublished rows and the age in seconds of the oldest (0.0 when none): for /metrics."""
    async with sessions() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxEvent.created_at)).where(
                    OutboxEvent.published_at.is_(None)
                )
            )
        ).one()
    if oldest is None:
        return int(count), 0.0
    return int(count), max(0.0, (utcnow() - oldest).total_seconds())
