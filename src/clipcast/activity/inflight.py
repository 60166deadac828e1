"""Batches in flight (accepted, not yet in the counters) and their frozen counter increments:
what read-your-writes merges and what the counters step applies."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.activity.fold import Batch
from clipcast.activity.models import PendingBatch, PendingDeltas
from clipcast.adapters.counters.base import CounterDeltas
from clipcast.outbox.models import OutboxEvent

ACTIVITY_BATCH = "activity.batch"


def add_batch(session: AsyncSession, batch: Batch, now: datetime) -> None:
    """The batch's `activity.batch` outbox event, with the batch id as its event id, and its
    pending row for read-your-writes (which reads the events from the outbox row)."""
    # As outbox.add_event does, but with the batch id as the event id.
    event = OutboxEvent(
        id=batch.id, topic=ACTIVITY_BATCH, payload=batch.to_payload(), created_at=now
    )
    session.add(event)
    session.add(PendingBatch(id=batch.id, viewer_id=batch.viewer_id, received_at=now))


async def pending_of(session: AsyncSession, viewer_id: uuid.UUID) -> list[Batch]:
    """The viewer's batches not yet in the counters, oldest first."""
    rows = await session.scalars(
        select(OutboxEvent.payload)
        .join(PendingBatch, PendingBatch.id == OutboxEvent.id)
        .where(PendingBatch.viewer_id == viewer_id)
        .order_by(PendingBatch.received_at, PendingBatch.id)
    )
    return [Batch.from_payload(payload) for payload in rows]


def freeze(
    session: AsyncSession, batch_id: uuid.UUID, deltas: CounterDeltas, now: datetime
) -> None:
    session.add(PendingDeltas(batch_id=batch_id, deltas=deltas.to_json(), created_at=now))


async def frozen(
    session: AsyncSession, batch_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CounterDeltas]:
    if not batch_ids:
        return {}
    rows = await session.execute(
        select(PendingDeltas.batch_id, PendingDeltas.deltas).where(
            PendingDeltas.batch_id.in_(batch_ids)
        )
    )
    return {row.batch_id: CounterDeltas.from_json(row.deltas) for row in rows}


async def frozen_ids(session: AsyncSession, batch_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not batch_ids:
        return set()
    rows = await session.scalars(
        select(PendingDeltas.batch_id).where(PendingDeltas.batch_id.in_(batch_ids))
    )
    return set(rows)


async def settle(session: AsyncSession, batch_ids: Sequence[uuid.UUID]) -> None:
    """Forget batches the counters store has: their frozen increments and pending rows."""
    await session.execute(delete(PendingDeltas).where(PendingDeltas.batch_id.in_(batch_ids)))
    await session.execute(delete(PendingBatch).where(PendingBatch.id.in_(batch_ids)))
