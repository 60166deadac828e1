"""The outbox relay: publishes in order, marks after the ack, re-publishes what is unconfirmed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.adapters.bus.base import Bus, BusUnavailable, Event, Handler, Subscription
from clipcast.adapters.bus.local import LocalBus
from clipcast.events.dedupe import handle_once
from clipcast.events.models import ProcessedEvent
from clipcast.events.relay import outbox_lag, relay_once, run_relay
from clipcast.outbox.models import OutboxEvent
from tests.integration.events.conftest import Sessions, commit_events, outbox_rows


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


class RecordingBus:
    """Records what it confirms (passing it on to `inner`); can refuse from the Nth publish on,
    or crash after the Nth."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        inner: Bus | None = None,
        fail_from: int | None = None,
        crash_after: int | None = None,
    ) -> None:
        self.sessions = sessions
        self.inner = inner
        self.fail_from = fail_from
        self.crash_after = crash_after
        self.calls: list[Event] = []
        self.published: list[Event] = []
        self.marked_before_ack: list[uuid.UUID] = []

    async def publish(self, event: Event) -> None:
        # Recorded before any await: like a real bus, the call order is the publish order.
        self.calls.append(event)
        if self.fail_from is not None and len(self.calls) >= self.fail_from:
            raise BusUnavailable("broker down")
        if self.inner is not None:
            await self.inner.publish(event)
        async with self.sessions() as session:
            row = await session.scalar(select(OutboxEvent).where(OutboxEvent.id == event.id))
        if row is not None and row.published_at is not None:
            self.marked_before_ack.append(event.id)
        self.published.append(event)
        if self.crash_after is not None and len(self.published) >= self.crash_after:
            raise Crash

    async def subscribe(
        self,
        group: str,
        topics: list[str],
        handler: Handler,
        *,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> Subscription:
        raise NotImplementedError

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_relay_publishes_in_seq_order_and_marks_only_after_the_ack(
    sessions: Sessions,
) -> None:
    await commit_events(sessions, 7)
    bus = RecordingBus(sessions)

    sent = await relay_once(sessions, bus, batch=100, window=3)

    rows = await outbox_rows(sessions)
    assert sent == 7
    assert [e.id for e in bus.calls] == [r.id for r in rows]
    assert [e.payload["n"] for e in bus.calls] == list(range(7))
    assert bus.marked_before_ack == []
    assert all(r.published_at is not None for r in rows)


async def test_a_refused_publish_leaves_it_and_later_rows_for_the_next_run(
    sessions: Sessions,
) -> None:
    await commit_events(sessions, 6)
    bus = RecordingBus(sessions, fail_from=4)  # the 4th publish fails

    with pytest.raises(BusUnavailable):
        await relay_once(sessions, bus, batch=100, window=1)

    rows = await outbox_rows(sessions)
    assert [r.published_at is not None for r in rows] == [True] * 3 + [False] * 3
    bus.fail_from = None
    assert await relay_once(sessions, bus, batch=100, window=1) == 3
    assert [e.payload["n"] for e in bus.published] == list(range(6))
    assert await outbox_lag(sessions) == (0, 0.0)


async def test_with_a_window_only_the_confirmed_prefix_is_marked(sessions: Sessions) -> None:
    await commit_events(sessions, 10)
    bus = RecordingBus(sessions, fail_from=5)

    with pytest.raises(BusUnavailable):
        await relay_once(sessions, bus, batch=100, window=4)

    rows = await outbox_rows(sessions)
    assert [r.published_at is not None for r in rows] == [True] * 4 + [False] * 6


async def test_a_crash_between_publish_and_mark_republishes_and_consumers_apply_once(
    sessions: Sessions,
) -> None:
    bus = LocalBus(sessions, poll_seconds=0.05)
    applied: list[uuid.UUID] = []
    ran: list[bool] = []

    async def consume(event: Event) -> None:
        async def work(session: AsyncSession) -> None:
            applied.append(event.id)

        ran.append(await handle_once(sessions, "search", event, work))

    await bus.subscribe("search", ["video.ready"], consume, ack_wait_seconds=1.0)
    await commit_events(sessions, 5)
    dying = RecordingBus(sessions, inner=bus, crash_after=5)  # dies once all 5 are confirmed

    with pytest.raises(Crash):
        await relay_once(sessions, dying, batch=100, window=2)
    assert (await outbox_lag(sessions))[0] == 5  # published, never marked
    await _eventually(lambda: len(applied) == 5)

    # The restarted relay publishes all 5 again. The bus drops repeats, and so would NATS
    # within its window; past the window a broker delivers them, so hand them over directly.
    again = RecordingBus(sessions, inner=bus)
    assert await relay_once(sessions, again, batch=100) == 5
    for event in again.published:
        await consume(event)
    await asyncio.sleep(0.3)
    await bus.close()

    rows = await outbox_rows(sessions)
    assert applied == [r.id for r in rows]
    assert ran == [True] * 5 + [False] * 5
    assert await _processed(sessions) == 5


async def test_outbox_lag_counts_unpublished_rows_and_the_oldest_age(sessions: Sessions) -> None:
    assert await outbox_lag(sessions) == (0, 0.0)
    await commit_events(sessions, 3, age=timedelta(seconds=30))

    count, age = await outbox_lag(sessions)

    assert count == 3
    assert 29 <= age < 60


async def test_run_relay_drains_new_rows_promptly_and_stops_when_asked(
    sessions: Sessions,
) -> None:
    bus = RecordingBus(sessions)
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(sessions, bus, stop=stop, idle_seconds=0.05))

    await commit_events(sessions, 4)
    await _eventually(lambda: len(bus.published) == 4, within=3)
    stop.set()
    await asyncio.wait_for(relay, 2)

    assert await outbox_lag(sessions) == (0, 0.0)


async def _processed(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


async def _eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
