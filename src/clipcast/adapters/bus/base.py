"""The bus port: durable publish, and durable consumer groups with ack, redelivery, dead letters.

Delivery is at least once. Consumers make it effectively once by remembering event ids
(`clipcast.events.dedupe`), so a redelivered or re-published event is harmless.

Dead letters are events too: after too many failed deliveries to `group`, the event is wrapped
(payload: the original `event`, the last `error`, `deliveries`) and published on the topic
`dead.{group}`, so subscribing to that topic is how an operator inspects or replays them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Event:
    """One fact that happened, as written to the outbox: `topic` like "video.ready"."""

    id: uuid.UUID
    topic: str
    payload: dict[str, Any]
    created_at: datetime
    delivery: int = field(default=1, compare=False)  # 1 on first delivery, 2 on the first retry…


Handler = Callable[[Event], Awaitable[None]]
# Gets up to max_batch events and returns the ids of those it failed on (empty: all done);
# raising fails the whole batch. Lets a consumer apply many events in one transaction.
BatchHandler = Callable[[list[Event]], Awaitable[Collection[uuid.UUID]]]


class BusUnavailable(Exception):
    """The broker could not confirm a publish (down, unreachable, timed out): retry later."""


class Subscription(Protocol):
    async def stop(self) -> None:
        """Stop taking new events; an event being handled finishes (or is redelivered later)."""


class Bus(Protocol):
    """Publishes events durably and delivers them to named consumer groups."""

    async def publish(self, event: Event) -> None:
        """Return only once the broker holds the event durably (the relay marks it sent then).

        Publishing the same event id twice within the dedupe window stores it once. Calls made
        concurrently from one process are stored in the order they were made, so a caller may
        keep a window of publishes in flight and still publish in order. Raises
        `BusUnavailable` when the broker cannot confirm.
        """

    async def subscribe(
        self,
        group: str,
        topics: list[str],
        handler: Handler,
        *,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> Subscription:
        """Deliver every event on `topics` to one member of `group` at a time.

        The handler returning acks the event; raising (or the process dying) redelivers it after
        `ack_wait_seconds`; after `max_deliveries` it goes to the dead-letter subject
        `dead.{group}` instead. Events published while nobody listens wait for the group: a
        group's backlog starts when it first subscribes (its durable registration), so register
        a group before producers rely on it. Topics are exact names, e.g. "video.ready".
        """

    async def check(self) -> None:
        """Raise if the broker cannot be reached (for /readyz)."""

    async def close(self) -> None:
        """Stop every subscription and release connections."""


class BatchBus(Bus, Protocol):
    """A bus that can also hand a consumer its events in batches (both adapters can)."""

    async def subscribe_batches(
        self,
        group: str,
        topics: list[str],
        handler: BatchHandler,
        *,
        max_batch: int = 256,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> Subscription:
        """Like `subscribe`, but `handler` gets up to `max_batch` events at a time, in order.

        Events it reports as failed (or all of them, if it raises) are redelivered and
        dead-lettered exactly as with `subscribe`; the others are acked together.
        """
