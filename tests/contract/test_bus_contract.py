"""The Bus contract: the embedded bus (SQLite, PostgreSQL) and NATS JetStream behave the same."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest

from clipcast.adapters.bus.base import BatchBus, Bus, Event, Subscription
from clipcast.core.clock import utcnow

ACK_WAIT = 0.5  # short, so a missing ack shows up as a redelivery within the test
SETTLE = ACK_WAIT + 0.3  # long enough for an unwanted redelivery to have happened
TOPIC = "video.ready"
MakeBus = Callable[[], BatchBus]


def event(topic: str = TOPIC, **payload: object) -> Event:
    return Event(id=uuid.uuid4(), topic=topic, payload=dict(payload), created_at=utcnow())


class Inbox:
    """A handler that records what it was given, optionally failing first."""

    def __init__(self, fail: Callable[[Event], bool] = lambda e: False) -> None:
        self.events: list[Event] = []
        self._fail = fail

    async def __call__(self, received: Event) -> None:
        self.events.append(received)
        if self._fail(received):
            raise RuntimeError(f"handler failed on delivery {received.delivery}")

    @property
    def ids(self) -> list[uuid.UUID]:
        return [e.id for e in self.events]


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def subscribe(
    bus: Bus, group: str, inbox: Inbox, topics: list[str] | None = None
) -> Subscription:
    return await bus.subscribe(group, topics or [TOPIC], inbox, ack_wait_seconds=ACK_WAIT)


async def publish_all(bus: Bus, events: list[Event]) -> None:
    for e in events:
        await bus.publish(e)


async def test_check_passes_and_the_bus_carries_events_when_the_backend_is_up(
    make_bus: MakeBus,
) -> None:
    bus = make_bus()
    await bus.check()
    inbox = Inbox()
    await subscribe(bus, "thumbnails", inbox)
    sent = event(video_id="checked")
    await bus.publish(sent)
    await eventually(lambda: len(inbox.events) == 1)
    assert inbox.ids == [sent.id]


async def test_a_published_event_reaches_the_group_once(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox()
    await subscribe(bus, "thumbnails", inbox)
    sent = event(video_id="v1")

    await bus.publish(sent)
    await eventually(lambda: len(inbox.events) == 1)
    await asyncio.sleep(SETTLE)

    assert inbox.ids == [sent.id]
    got = inbox.events[0]
    assert (got.topic, got.payload, got.created_at, got.delivery) == (
        sent.topic,
        sent.payload,
        sent.created_at,
        1,
    )


async def test_every_group_gets_every_event(make_bus: MakeBus) -> None:
    bus = make_bus()
    thumbs, search = Inbox(), Inbox()
    await subscribe(bus, "thumbnails", thumbs)
    await subscribe(bus, "search", search)
    sent = [event(n=n) for n in range(5)]

    await publish_all(bus, sent)
    await eventually(lambda: len(thumbs.events) == 5 and len(search.events) == 5)
    await asyncio.sleep(SETTLE)

    assert thumbs.ids == search.ids == [e.id for e in sent]


async def test_members_of_one_group_share_the_events(make_bus: MakeBus) -> None:
    first, second = make_bus(), make_bus()  # as two worker processes
    inbox_a, inbox_b = Inbox(), Inbox()
    await subscribe(first, "search", inbox_a)
    await subscribe(second, "search", inbox_b)
    sent = [event(n=n) for n in range(20)]

    await publish_all(first, sent)
    await eventually(lambda: len(inbox_a.events) + len(inbox_b.events) >= 20)
    await asyncio.sleep(SETTLE)

    received = inbox_a.ids + inbox_b.ids
    assert sorted(received) == sorted(e.id for e in sent)  # each exactly once


async def test_only_subscribed_topics_are_delivered(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox()
    await subscribe(bus, "search", inbox, ["video.updated", "video.deleted"])
    wanted = [event("video.updated"), event("video.deleted")]

    await publish_all(bus, [event("video.ready"), *wanted])
    await eventually(lambda: len(inbox.events) == 2)
    await asyncio.sleep(SETTLE)

    assert sorted(inbox.ids) == sorted(e.id for e in wanted)


async def test_a_failing_event_is_redelivered_then_dead_lettered(make_bus: MakeBus) -> None:
    bus = make_bus()
    flaky, dead = Inbox(fail=lambda e: True), Inbox()
    await subscribe(bus, "ops", dead, ["dead.thumbnails"])
    await bus.subscribe("thumbnails", [TOPIC], flaky, max_deliveries=3, ack_wait_seconds=ACK_WAIT)
    doomed = event(video_id="v1")

    await bus.publish(doomed)
    await eventually(lambda: len(dead.events) == 1)
    await asyncio.sleep(SETTLE)

    assert [e.delivery for e in flaky.events] == [1, 2, 3]
    assert set(flaky.ids) == {doomed.id}
    letter = dead.events[0]
    assert letter.topic == "dead.thumbnails"
    assert letter.payload["event"]["id"] == str(doomed.id)
    assert letter.payload["event"]["payload"] == {"video_id": "v1"}
    assert letter.payload["deliveries"] == 3
    assert "handler failed on delivery 3" in letter.payload["error"]


async def test_an_event_whose_last_try_never_answers_is_dead_lettered(make_bus: MakeBus) -> None:
    crashed = make_bus()
    started = asyncio.Event()

    async def hang(received: Event) -> None:
        started.set()
        await asyncio.Event().wait()  # the process dies before it answers

    await crashed.subscribe(
        "thumbnails", [TOPIC], hang, max_deliveries=1, ack_wait_seconds=ACK_WAIT
    )
    doomed = event()
    await crashed.publish(doomed)
    await started.wait()
    await crashed.close()  # cuts the handler short after the grace: no ack

    restarted = make_bus()
    inbox, dead = Inbox(), Inbox()
    await subscribe(restarted, "ops", dead, ["dead.thumbnails"])
    await restarted.subscribe(
        "thumbnails", [TOPIC], inbox, max_deliveries=1, ack_wait_seconds=ACK_WAIT
    )
    await eventually(lambda: len(dead.events) == 1)

    assert inbox.events == []
    assert dead.events[0].payload["event"]["id"] == str(doomed.id)


async def test_a_handler_that_recovers_acks_on_a_later_delivery(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox(fail=lambda e: e.delivery < 2)
    await subscribe(bus, "thumbnails", inbox)
    sent = event()

    await bus.publish(sent)
    await eventually(lambda: len(inbox.events) == 2)
    await asyncio.sleep(SETTLE)

    assert [(e.id, e.delivery) for e in inbox.events] == [(sent.id, 1), (sent.id, 2)]


async def test_publishing_the_same_id_again_is_stored_once(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox()
    await subscribe(bus, "search", inbox)
    sent = event()

    await bus.publish(sent)
    await bus.publish(sent)
    await make_bus().publish(sent)  # a relay in another process repeating it
    await eventually(lambda: len(inbox.events) >= 1)
    await asyncio.sleep(SETTLE)

    assert inbox.ids == [sent.id]


async def test_events_wait_for_a_registered_group_that_is_away(make_bus: MakeBus) -> None:
    bus = make_bus()
    subscription = await subscribe(bus, "search", Inbox())
    await subscription.stop()
    sent = [event(n=n) for n in range(3)]
    await publish_all(bus, sent)

    inbox = Inbox()
    await subscribe(bus, "search", inbox)
    await eventually(lambda: len(inbox.events) == 3)

    assert inbox.ids == [e.id for e in sent]


async def test_unacked_events_survive_a_restart_of_the_bus(make_bus: MakeBus) -> None:
    before = make_bus()
    failing = Inbox(fail=lambda e: True)
    await subscribe(before, "search", failing)
    in_flight = event(n=0)
    await before.publish(in_flight)
    await eventually(lambda: len(failing.events) >= 1)
    waiting = [event(n=n) for n in (1, 2)]
    await publish_all(before, waiting)
    await before.close()

    after = make_bus()  # a new process on the same database / server
    inbox = Inbox()
    await subscribe(after, "search", inbox)
    await eventually(lambda: len(set(inbox.ids)) == 3)

    assert set(inbox.ids) == {in_flight.id, *(e.id for e in waiting)}


async def test_one_consumer_sees_a_topic_in_publish_order(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox()
    await subscribe(bus, "history", inbox)
    sent = [event(n=n) for n in range(40)]

    await publish_all(bus, sent)
    await eventually(lambda: len(inbox.events) == 40)

    assert inbox.ids == [e.id for e in sent]


async def test_concurrent_publishes_are_stored_in_call_order(make_bus: MakeBus) -> None:
    bus = make_bus()
    inbox = Inbox()
    await subscribe(bus, "history", inbox)
    sent = [event(n=n) for n in range(40)]

    await asyncio.gather(*(bus.publish(e) for e in sent))
    await eventually(lambda: len(inbox.events) == 40)

    assert inbox.ids == [e.id for e in sent]


@pytest.mark.parametrize("group", ["has.dot", "has space", ""])
async def test_group_names_every_adapter_cannot_hold_are_refused(
    make_bus: MakeBus, group: str
) -> None:
    with pytest.raises(ValueError, match="group"):
        await make_bus().subscribe(group, [TOPIC], Inbox())


class BatchInbox:
    """A batch handler that records each batch and reports `bad` events as failed."""

    def __init__(self, bad: set[uuid.UUID] | None = None) -> None:
        self.batches: list[list[Event]] = []
        self.bad = bad or set()

    async def __call__(self, events: list[Event]) -> set[uuid.UUID]:
        self.batches.append(events)
        return {e.id for e in events} & self.bad

    @property
    def ids(self) -> list[uuid.UUID]:
        return [e.id for batch in self.batches for e in batch]


async def test_a_waiting_backlog_arrives_in_batches_in_publish_order(make_bus: MakeBus) -> None:
    bus = make_bus()
    registration = await bus.subscribe_batches("search", [TOPIC], BatchInbox())
    await registration.stop()
    sent = [event(n=n) for n in range(30)]
    await publish_all(bus, sent)

    inbox = BatchInbox()
    await bus.subscribe_batches("search", [TOPIC], inbox, max_batch=8, ack_wait_seconds=ACK_WAIT)
    await eventually(lambda: len(inbox.ids) >= 30)
    await asyncio.sleep(SETTLE)

    assert inbox.ids == [e.id for e in sent]
    assert max(len(batch) for batch in inbox.batches) == 8


async def test_only_the_events_a_batch_handler_failed_are_retried_and_buried(
    make_bus: MakeBus,
) -> None:
    bus = make_bus()
    sent = [event(n=n) for n in range(3)]
    inbox, dead = BatchInbox(bad={sent[1].id}), Inbox()
    await subscribe(bus, "ops", dead, ["dead.search"])
    await bus.subscribe_batches(
        "search", [TOPIC], inbox, max_deliveries=2, ack_wait_seconds=ACK_WAIT
    )

    await publish_all(bus, sent)
    await eventually(lambda: len(dead.events) == 1)
    await asyncio.sleep(SETTLE)

    assert sorted(inbox.ids) == sorted([sent[0].id, sent[1].id, sent[1].id, sent[2].id])
    assert dead.events[0].payload["event"]["id"] == str(sent[1].id)
    assert "batch handler reported" in dead.events[0].payload["error"]
