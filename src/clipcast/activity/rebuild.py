"""`clipcast counters rebuild`: every counter recomputed from SQL, e.g. after a Redis wipe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import aggregates
from clipcast.activity.models import PendingDeltas
from clipcast.adapters.counters.base import Counters


@dataclass(frozen=True)
class Rebuilt:
    videos: int
    clips: int
    comments: int
    pending: int  # batches already in SQL whose increments were still on their way


async def rebuild_counters(
    *, sessions: async_sessionmaker[AsyncSession], counters: Counters, now: datetime
) -> Rebuilt:
    """Wipe the counters store and write what SQL says.

    SQL is read as of one instant (REPEATABLE READ on PostgreSQL). Batches whose increments
    were frozen but not yet applied are in that SQL already, so they are marked applied: a
    consumer that applies them later changes nothing. Exact when no consumer applies a batch
    while the store is being rewritten (seconds): stop the activity workers for it, or run it
    again once they are idle.
    """
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        pending = set(await session.scalars(select(PendingDeltas.batch_id)))
        totals = await aggregates.totals(session, now=now)
    await counters.replace_all(totals, pending)
    return Rebuilt(len(totals.videos), len(totals.clips), len(totals.comments), len(pending))
