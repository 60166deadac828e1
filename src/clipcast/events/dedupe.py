"""Consumer-side idempotency: an event's effects and the record of its id commit together."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Event
from clipcast.core.clock import utcnow
from clipcast.events.inserts import insert_new
from clipcast.events.models import ProcessedEvent

log = logging.getLogger(__name__)
PROCESSED: Table = ProcessedEvent.__table__  # type: ignore[assignment]
Sessions = async_sessionmaker[AsyncSession]
BatchWork = Callable[[AsyncSession, list[Event]], Awaitable[None]]


async def handle_once(
    sessions: Sessions,
    consumer: str,
    event: Event,
    work: Callable[[AsyncSession], Awaitable[None]],
) -> bool:
    """Run `work(session)` once per (consumer, event id); returns whether it ran now.

    The id is recorded first, in the same transaction as the work: if the work raises, both
    roll back and a redelivery runs it again; if a twin delivery is running concurrently,
    the database makes one of them wait on the key and then skip. Only SQL effects are
    covered: a handler that also writes files or calls other services must make those
    steps idempotent itself (derived object keys, overwrite rather than append).
    """
    async with sessions() as session, session.begin():
        if not await _record(session, consumer, [event]):
            return False
        await work(session)
    return True


async def _record(session: AsyncSession, consumer: str, events: list[Event]) -> set[uuid.UUID]:
    """Record the events as processed; returns the ids that were not recorded before."""
    now = utcnow()
    rows = [{"consumer": consumer, "event_id": e.id, "processed_at": now} for e in events]
    # One statement text for any number of rows (executemany form), so it is compiled once.
    stmt = insert_new(session, PROCESSED, rows[0], ["consumer", "event_id"])
    return set((await session.scalars(stmt.returning(PROCESSED.c.event_id), rows)).all())


async def handle_batch_once(
    sessions: Sessions, consumer: str, events: list[Event], work: BatchWork
) -> set[uuid.UUID]:
    """handle_once for a batch (a BatchHandler's body): returns the ids that failed.

    One transaction records the ids and runs `work(session, new_events)` on the events not
    processed before. If it raises, each event is retried in a transaction of its own, so
    one bad event fails alone and its neighbours are still applied. Same caveat as
    handle_once for effects outside SQL.
    """
    try:
        await _apply(sessions, consumer, events, work)
    except Exception:  # noqa: BLE001 - whatever failed, retry each event on its own
        log.warning("%s: batch of %d failed, retrying singly", consumer, len(events))
    else:
        return set()
    failed = set()
    for event in events:
        try:
            await _apply(sessions, consumer, [event], work)
        except Exception as exc:  # noqa: BLE001 - reported to the bus, which redelivers it
            log.warning("%s: event %s failed: %r", consumer, event.id, exc)
            failed.add(event.id)
    return failed


async def _apply(sessions: Sessions, consumer: str, events: list[Event], work: BatchWork) -> None:
    async with sessions() as session, session.begin():
        new = await _record(session, consumer, events)
        fresh = _first_of_each(events, new)
        if fresh:
            await work(session, fresh)


def _first_of_each(events: list[Event], ids: set[uuid.UUID]) -> list[Event]:
    """The events whose id is in `ids`, in order, each id once (twins may share a batch)."""
    seen: set[uuid.UUID] = set()
    picked = []
    for event in events:
        if event.id in ids and event.id not in seen:
            seen.add(event.id)
            picked.append(event)
    return picked
