"""The embedded bus: delivered in-process, stored in the SQL database so a restart loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus import local_store as store
from clipcast.adapters.bus.base import BatchHandler, BusUnavailable, Event, Handler
from clipcast.adapters.bus.redelivery import (
    check_names,
    check_topic,
    finish_or_cancel,
    retry_delay,
)
from clipcast.core.clock import utcnow

log = logging.getLogger(__name__)
# What a lost or locked database raises; anything else is a bug and should surface.
DB_DOWN = (OperationalError, InterfaceError, OSError)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Runtime:
    """What every subscription of one LocalBus shares."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    poll_seconds: float
    claim_batch: int
    wake: Callable[[str], None]  # the bus's wake-up for a topic (dead letters use it)


class LocalBus:
    """Bus on the project's database: a delivery row per (group, event) carries the lease.

    Publishing wakes this process's subscribers at once; other processes sharing the database
    find new rows by polling every `poll_seconds`.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float = 0.25,
        claim_batch: int = 32,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._runtime = Runtime(sessions, clock, poll_seconds, claim_batch, self.wake)
        # One publish at a time keeps concurrent callers' order in the stored sequence.
        self._publish_lock = asyncio.Lock()
        self._subscriptions: set[LocalSubscription] = set()

    async def publish(self, event: Event) -> None:
        check_topic(event.topic)
        async with self._publish_lock:
            try:
                async with self._sessions() as session, session.begin():
                    stored = await store.store_event(session, event, self._clock())
            except DB_DOWN as exc:
                raise BusUnavailable(f"database refused event {event.id}") from exc
        if stored:
            self.wake(event.topic)

    def wake(self, topic: str) -> None:
        """Tell this process's subscribers of `topic` that something is due now."""
        for subscription in self._subscriptions:
            if topic in subscription.topics:
                subscription.wake()

    async def subscribe(
        self,
        group: str,
        topics: list[str],
        handler: Handler,
        *,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> LocalSubscription:
        return await self._subscribe(
            group,
            topics,
            Delivery(handler=handler, claim_limit=self._runtime.claim_batch),
            max_deliveries,
            ack_wait_seconds,
        )

    async def subscribe_batches(
        self,
        group: str,
        topics: list[str],
        handler: BatchHandler,
        *,
        max_batch: int = 256,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> LocalSubscription:
        return await self._subscribe(
            group,
            topics,
            Delivery(batch_handler=handler, claim_limit=max_batch),
            max_deliveries,
            ack_wait_seconds,
        )

    async def _subscribe(
        self,
        group: str,
        topics: list[str],
        delivery: Delivery,
        max_deliveries: int,
        ack_wait_seconds: float,
    ) -> LocalSubscription:
        check_names(group, topics)
        async with self._sessions() as session, session.begin():
            await store.bind_group(session, group, topics, self._clock())
        subscription = LocalSubscription(
            self._runtime,
            group=group,
            topics=frozenset(topics),
            delivery=delivery,
            max_deliveries=max_deliveries,
            ack_wait=timedelta(seconds=ack_wait_seconds),
        )
        self._subscriptions.add(subscription)
        subscription.start(on_stop=self._subscriptions.discard)
        return subscription

    async def check(self) -> None:
        try:
            async with self._sessions() as session:
                await session.execute(text("SELECT 1"))
        except DB_DOWN as exc:
            raise BusUnavailable("database unreachable") from exc

    async def close(self) -> None:
        # The engine belongs to the caller (Adapters disposes it); only our tasks end here.
        for subscription in list(self._subscriptions):
            await subscription.stop()


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a subscription hands events over: one at a time, or in claimed batches."""

    claim_limit: int
    handler: Handler | None = None
    batch_handler: BatchHandler | None = None


class LocalSubscription:
    """One member of a group: an asyncio task that claims, handles and acks due deliveries."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        group: str,
        topics: frozenset[str],
        delivery: Delivery,
        max_deliveries: int,
        ack_wait: timedelta,
    ) -> None:
        self._rt = runtime
        self.group = group
        self.topics = topics
        self._delivery = delivery
        self._max = max_deliveries
        self._ack_wait = ack_wait
        self._woken = asyncio.Event()
        self._stopping = False
        self._next_retry: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_stop: Callable[[LocalSubscription], None] | None = None

    def start(self, *, on_stop: Callable[[LocalSubscription], None]) -> None:
        self._on_stop = on_stop
        self._task = asyncio.create_task(self._run(), name=f"bus:{self.group}")
        self._task.add_done_callback(_report_crash)

    def wake(self) -> None:
        self._woken.set()

    async def stop(self) -> None:
        self._stopping = True
        self._woken.set()
        if self._task is not None:
            await finish_or_cancel([self._task], self._ack_wait.total_seconds())
        if self._on_stop is not None:
            self._on_stop(self)

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before claiming: a publish landing during the claim still wakes us.
            self._woken.clear()
            try:
                batch = await self._claim()
                if batch:
                    await self._deliver(batch)
                    continue
            except DB_DOWN:
                log.warning("bus group %s: database unavailable, retrying", self.group)
            await self._idle()

    async def _claim(self) -> list[store.Claimed]:
        now = self._rt.clock()
        async with self._rt.sessions() as session, session.begin():
            return await store.claim(
                session,
                self.group,
                now=now,
                lease_until=now + self._ack_wait,
                limit=self._delivery.claim_limit,
            )

    async def _idle(self) -> None:
        timeout = self._rt.poll_seconds
        if self._next_retry is not None:
            until_retry = (self._next_retry - self._rt.clock()).total_seconds()
            timeout = max(0.0, min(timeout, until_retry))
            self._next_retry = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), timeout)

    async def _deliver(self, batch: list[store.Claimed]) -> None:
        if self._delivery.batch_handler is not None:
            await self._deliver_batch(self._delivery.batch_handler, batch)
            return
        for index, claimed in enumerate(batch):
            if self._stopping:
                await self._release(batch[index:])
                return
            if self._rt.clock() >= claimed.lease_until:
                return  # our lease ran out: these are due again, maybe claimed by a peer
            await self._deliver_one(claimed)

    async def _exhausted(self, claimed: store.Claimed) -> bool:
        if claimed.event.delivery <= self._max:
            return False
        # The last allowed delivery never came back (its process died): no further try.
        await self._bury(claimed, "delivery attempts exhausted without an answer")
        return True

    async def _deliver_one(self, claimed: store.Claimed) -> None:
        if await self._exhausted(claimed):
            return
        assert self._delivery.handler is not None
        try:
            await self._delivery.handler(claimed.event)
        except Exception as exc:  # noqa: BLE001 - any handler failure means "redeliver later"
            await self._failed(claimed, f"{type(exc).__name__}: {exc}")
            return
        async with self._rt.sessions() as session, session.begin():
            await store.ack(session, self.group, [claimed.seq], self._rt.clock())

    async def _deliver_batch(self, handler: BatchHandler, batch: list[store.Claimed]) -> None:
        if self._stopping:
            await self._release(batch)
            return
        live = [claimed for claimed in batch if not await self._exhausted(claimed)]
        if not live:
            return
        error = "the batch handler reported this event as failed"
        try:
            failed = set(await handler([claimed.event for claimed in live]))
        except Exception as exc:  # noqa: BLE001 - any handler failure means "redeliver later"
            failed, error = {c.event.id for c in live}, f"{type(exc).__name__}: {exc}"
        done = [claimed.seq for claimed in live if claimed.event.id not in failed]
        if done:  # one transaction acks the whole batch
            async with self._rt.sessions() as session, session.begin():
                await store.ack(session, self.group, done, self._rt.clock())
        for claimed in live:
            if claimed.event.id in failed:
                await self._failed(claimed, error)

    async def _failed(self, claimed: store.Claimed, error: str) -> None:
        if claimed.event.delivery >= self._max:
            await self._bury(claimed, error)
            return
        delay = retry_delay(claimed.event.delivery, self._ack_wait.total_seconds())
        visible_at = self._rt.clock() + timedelta(seconds=delay)
        async with self._rt.sessions() as session, session.begin():
            await store.retry(session, self.group, claimed.seq, visible_at=visible_at, error=error)
        if self._next_retry is None or visible_at < self._next_retry:
            self._next_retry = visible_at

    async def _bury(self, claimed: store.Claimed, error: str) -> None:
        async with self._rt.sessions() as session, session.begin():
            letter = await store.bury(session, self.group, claimed, error, self._rt.clock())
        log.error(
            "bus group %s gave up on event %s (%s) after %d deliveries: %s",
            self.group,
            claimed.event.id,
            claimed.event.topic,
            claimed.event.delivery,
            error,
        )
        self._rt.wake(letter.topic)

    async def _release(self, rest: list[store.Claimed]) -> None:
        # Stopping: hand back what we claimed but never delivered, so a peer takes it now.
        now = self._rt.clock()
        async with self._rt.sessions() as session, session.begin():
            for claimed in rest:
                await store.retry(session, self.group, claimed.seq, visible_at=now, error=None)


def _report_crash(task: asyncio.Task[None]) -> None:
    # A consumer loop only ends by stop(); anything else is a bug that must not pass quietly.
    if not task.cancelled() and task.exception() is not None:
        log.error("bus consumer %s crashed", task.get_name(), exc_info=task.exception())
