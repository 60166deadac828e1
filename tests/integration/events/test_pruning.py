"""Pruning settled bus rows: old and settled goes, anything unsettled or recent stays."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from clipcast.core.clock import utcnow
from clipcast.events.models import BusDelivery, BusEvent, ProcessedEvent
from clipcast.events.pruning import prune, run_pruner
from clipcast.outbox.models import OutboxEvent
from tests.integration.events.conftest import Sessions

WEEK = timedelta(days=7)


async def _seed(sessions: Sessions) -> dict[str, object]:
    now = utcnow()
    old, recent = now - timedelta(days=10), now - timedelta(hours=1)
    ids = {name: uuid.uuid4() for name in ("done", "waiting", "dead", "fresh")}
    async with sessions() as session, session.begin():
        session.add_all(
            [
                OutboxEvent(id=uuid.uuid4(), topic="t", payload={"k": "sent-old"},
                            created_at=old, published_at=old),
                OutboxEvent(id=uuid.uuid4(), topic="t", payload={"k": "sent-recent"},
                            created_at=recent, published_at=recent),
                OutboxEvent(id=uuid.uuid4(), topic="t", payload={"k": "never-sent"},
                            created_at=old, published_at=None),
            ]
        )  # fmt: skip
        events = {
            name: BusEvent(
                id=event_id,
                topic="t",
                payload={},
                created_at=recent if name == "fresh" else old,
                published_at=recent if name == "fresh" else old,
            )
            for name, event_id in ids.items()
        }
        session.add_all(events.values())
        await session.flush()

        def delivery(name: str, group: str, **state: object) -> BusDelivery:
            return BusDelivery(
                group_name=group, event_seq=events[name].seq, attempts=1, visible_at=old, **state
            )

        session.add_all(
            [
                delivery("done", "a", acked_at=old),
                delivery("done", "b", acked_at=old),
                delivery("waiting", "a", acked_at=old),
                delivery("waiting", "b"),  # still owed to group b
                delivery("dead", "a", dead_at=old, last_error="boom"),
                delivery("fresh", "a", acked_at=recent),
            ]
        )
        session.add_all(
            [
                ProcessedEvent(consumer="c", event_id=uuid.uuid4(), processed_at=old),
                ProcessedEvent(consumer="c", event_id=ids["fresh"], processed_at=recent),
            ]
        )
    return {"ids": ids}


async def test_only_old_settled_rows_are_deleted(sessions: Sessions) -> None:
    seeded = await _seed(sessions)
    ids = seeded["ids"]
    assert isinstance(ids, dict)

    pruned = await prune(sessions, before=utcnow() - WEEK)

    assert (pruned.outbox, pruned.deliveries, pruned.bus_events, pruned.dedupe) == (1, 3, 1, 1)
    async with sessions() as session:
        outbox = {r.payload["k"] for r in await session.scalars(select(OutboxEvent))}
        events = {r.id for r in await session.scalars(select(BusEvent))}
        deliveries = (await session.execute(select(BusEvent.id, BusDelivery.group_name)
                      .join(BusEvent, BusEvent.seq == BusDelivery.event_seq))).all()  # fmt: skip
        dedupe = set(await session.scalars(select(ProcessedEvent.event_id)))
    assert outbox == {"sent-recent", "never-sent"}
    assert events == {ids["waiting"], ids["dead"], ids["fresh"]}
    assert sorted((row[0] == ids["waiting"], row[1]) for row in deliveries) == sorted(
        [(True, "b"), (False, "a"), (False, "a")]
    )
    assert dedupe == {ids["fresh"]}
    # Nothing is left that a second round would take.
    assert (await prune(sessions, before=utcnow() - WEEK)).total == 0


async def test_the_pruner_prunes_when_it_starts_and_stops_when_asked(sessions: Sessions) -> None:
    await _seed(sessions)
    stop = asyncio.Event()
    pruner = asyncio.create_task(run_pruner(sessions, retention=WEEK, stop=stop))
    for _ in range(100):
        async with sessions() as session:
            left = len((await session.scalars(select(OutboxEvent))).all())
        if left == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(pruner, 5)
    assert left == 2
