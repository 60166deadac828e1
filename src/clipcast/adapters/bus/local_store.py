"""SQL of the embedded bus: store events, bind groups, claim, ack, retry and bury deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.adapters.bus.base import Event
from clipcast.adapters.bus.redelivery import dead_letter
from clipcast.db.base import UTCDateTime
from clipcast.events.inserts import insert_new
from clipcast.events.models import SEQ, BusBinding, BusDelivery, BusEvent

EVENTS: Table = BusEvent.__table__  # type: ignore[assignment]
BINDINGS: Table = BusBinding.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Claimed:
    """An event leased to this consumer until `lease_until`."""

    seq: int
    event: Event
    lease_until: datetime


async def store_event(session: AsyncSession, event: Event, now: datetime) -> bool:
    """Store the event and owe it to every group bound to its topic; False if already stored."""
    values = {
        "id": event.id,
        "topic": event.topic,
        "payload": event.payload,
        "created_at": event.created_at,
        "published_at": now,
    }
    stmt = insert_new(session, EVENTS, values, ["id"]).returning(EVENTS.c.seq)
    seq = await session.scalar(stmt)
    if seq is None:
        return False
    owed = select(
        BusBinding.group_name,
        literal(seq, SEQ),
        literal(0),
        literal(now, UTCDateTime()),
    ).where(BusBinding.topic == event.topic)
    columns = ["group_name", "event_seq", "attempts", "visible_at"]
    await session.execute(insert(BusDelivery).from_select(columns, owed))
    return True


async def bind_group(session: AsyncSession, group: str, topics: list[str], now: datetime) -> None:
    """Register the group durably; events stored from now on are owed to it."""
    for topic in topics:
        values = {"group_name": group, "topic": topic, "registered_at": now}
        await session.execute(insert_new(session, BINDINGS, values, ["group_name", "topic"]))


def _pending(group: str) -> ColumnElement[bool]:
    return (
        (BusDelivery.group_name == group)
        & BusDelivery.acked_at.is_(None)
        & BusDelivery.dead_at.is_(None)
    )


async def claim(
    session: AsyncSession, group: str, *, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    """Lease up to `limit` due deliveries, oldest first; members of a group never share one."""
    due = _pending(group) & (BusDelivery.visible_at <= now)
    # SKIP LOCKED lets PostgreSQL members claim side by side; SQLite has one writer at a time,
    # and the re-checked `due` in the UPDATE keeps two claims of one row impossible either way.
    # Two statements, not UPDATE … IN (SELECT … LIMIT … SKIP LOCKED): PostgreSQL may run
    # such a subquery more than once, each time skipping other rows, and so exceed the limit.
    picked = (
        await session.scalars(
            select(BusDelivery.event_seq)
            .where(due)
            .order_by(BusDelivery.event_seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not picked:
        return []
    leased = await session.execute(
        update(BusDelivery)
        .where(due, BusDelivery.event_seq.in_(picked))
        .values(attempts=BusDelivery.attempts + 1, visible_at=lease_until)
        .returning(BusDelivery.event_seq, BusDelivery.attempts)
        .execution_options(synchronize_session=False)
    )
    attempts: dict[int, int] = {seq: count for seq, count in leased.all()}
    if not attempts:
        return []
    rows = await session.scalars(
        select(BusEvent).where(BusEvent.seq.in_(attempts)).order_by(BusEvent.seq)
    )
    return [Claimed(row.seq, _event(row, attempts[row.seq]), lease_until) for row in rows]


def _event(row: BusEvent, delivery: int) -> Event:
    return Event(row.id, row.topic, row.payload, row.created_at, delivery=delivery)


async def ack(session: AsyncSession, group: str, seqs: list[int], now: datetime) -> None:
    await session.execute(
        update(BusDelivery)
        .where(_pending(group), BusDelivery.event_seq.in_(seqs))
        .values(acked_at=now)
        .execution_options(synchronize_session=False)
    )


async def retry(
    session: AsyncSession, group: str, seq: int, *, visible_at: datetime, error: str | None
) -> None:
    """Offer the event again at `visible_at`; error None means it was never handed over."""
    values: dict[str, object] = {"visible_at": visible_at}
    if error is None:
        values["attempts"] = BusDelivery.attempts - 1  # released unread: not a delivery
    else:
        values["last_error"] = error[:2000]
    await session.execute(
        update(BusDelivery)
        .where(_pending(group), BusDelivery.event_seq == seq)
        .values(values)
        .execution_options(synchronize_session=False)
    )


async def bury(
    session: AsyncSession, group: str, claimed: Claimed, error: str, now: datetime
) -> Event:
    """Give up on the delivery and store its dead letter on `dead.{group}`."""
    await session.execute(
        update(BusDelivery)
        .where(_pending(group), BusDelivery.event_seq == claimed.seq)
        .values(dead_at=now, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
    letter = dead_letter(claimed.event, group, error, now)
    await store_event(session, letter, now)
    return letter
