"""Pulling from JetStream durable consumers: handle, ack, nak with backoff, bury dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from clipcast.adapters.bus.base import BatchHandler, BusUnavailable, Event, Handler
from clipcast.adapters.bus.nats_wire import decode
from clipcast.adapters.bus.redelivery import dead_letter, finish_or_cancel, retry_delay

log = logging.getLogger(__name__)
FETCH_WAIT_SECONDS = 1.0  # a fetch waits this long for a message before asking again
FOLLOW_UP_SECONDS = 0.02  # after the first message, how long to gather the rest of a batch
ERROR_PAUSE_SECONDS = 1.0


class Puller:
    """One durable consumer's pull subscription and the loop that drains it."""

    def __init__(
        self, pull: JetStreamContext.PullSubscription, batch: int, ack_wait_seconds: float
    ) -> None:
        self.pull = pull
        self.batch = batch
        self.ack_wait = ack_wait_seconds
        # Never wait in a fetch for long compared with ack_wait: messages the server hands
        # over near the end would already be due for redelivery to a peer.
        self.wait = min(FETCH_WAIT_SECONDS, ack_wait_seconds / 4)
        self.fetching = False
        self.task: asyncio.Task[None] | None = None

    async def fetch(self) -> tuple[list[Msg], float]:
        """Messages (maybe none) and the monotonic time the server may have sent them from.

        A batch fetch waits until the batch is full or the wait ends, which would hold a
        lone event back: block for one message, then take what else is ready at once.
        """
        started = time.monotonic()
        self.fetching = True
        try:
            msgs = await self.pull.fetch(1, timeout=self.wait)
        except TimeoutError:  # nats-py raises its own subclass, or the plain one, when idle
            return [], started
        finally:
            self.fetching = False
        if self.batch > 1:
            with contextlib.suppress(TimeoutError):
                msgs += await self.pull.fetch(self.batch - 1, timeout=FOLLOW_UP_SECONDS)
        return msgs, started


class NatsSubscription:
    """One member of a group: a pull loop per durable consumer behind the group.

    It calls `handler` per event, or `batch_handler` per fetched batch (subscribe_batches).
    """

    def __init__(
        self,
        group: str,
        pullers: list[Puller],
        *,
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        max_deliveries: int,
        ack_wait_seconds: float,
        publish: Callable[[Event], Awaitable[None]],
        clock: Callable[[], datetime],
    ) -> None:
        self.group = group
        self._pullers = pullers
        self._handler = handler
        self._batch_handler = batch_handler
        self._max = max_deliveries
        self._ack_wait = ack_wait_seconds
        self._publish = publish
        self._clock = clock
        self._stopping = False
        self._on_stop: Callable[[NatsSubscription], None] | None = None

    def start(self, *, on_stop: Callable[[NatsSubscription], None]) -> None:
        self._on_stop = on_stop
        for puller in self._pullers:
            puller.task = asyncio.create_task(self._run(puller), name=f"bus:{self.group}")
            puller.task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        self._stopping = True
        for puller in self._pullers:
            # A loop waiting in fetch holds no event: cut the wait short. One handling an
            # event is left to finish it.
            if puller.fetching and puller.task is not None:
                puller.task.cancel()
        tasks = [p.task for p in self._pullers if p.task is not None]
        await finish_or_cancel(tasks, self._ack_wait)
        for puller in self._pullers:
            try:
                await puller.pull.unsubscribe()
            except nats.errors.Error as exc:
                log.debug("unsubscribe of %s failed: %r", self.group, exc)
        if self._on_stop is not None:
            self._on_stop(self)

    async def _run(self, puller: Puller) -> None:
        while not self._stopping:
            try:
                msgs, sent_from = await puller.fetch()
            except nats.errors.Error as exc:
                log.warning("bus group %s: fetch failed (%r), retrying", self.group, exc)
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
                continue
            if self._batch_handler is not None:
                await self._deliver_batch(self._batch_handler, msgs, puller, sent_from)
                continue
            for index, msg in enumerate(msgs):
                if self._stopping:
                    await _give_back(msgs[index:])
                    return
                if time.monotonic() - sent_from >= puller.ack_wait:
                    break  # the rest are being redelivered, maybe to a peer: leave them
                await self._deliver(msg)

    async def _open(self, msg: Msg) -> Event | None:
        """The event in `msg`, or None if the message was settled here (garbage, exhausted)."""
        try:
            event = decode(msg.data, delivery=msg.metadata.num_delivered)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            log.error("bus group %s: dropping undecodable message: %r", self.group, exc)
            await _settle(msg.term())
            return None
        if event.delivery > self._max:
            # The last allowed delivery never came back (its process died): no further try.
            await self._bury(msg, event, "delivery attempts exhausted without an answer")
            return None
        return event

    async def _deliver(self, msg: Msg) -> None:
        event = await self._open(msg)
        if event is None:
            return
        assert self._handler is not None
        try:
            await self._handler(event)
        except Exception as exc:  # noqa: BLE001 - any handler failure means "redeliver later"
            await self._failed(msg, event, f"{type(exc).__name__}: {exc}")
            return
        await _settle(msg.ack())

    async def _deliver_batch(
        self, handler: BatchHandler, msgs: list[Msg], puller: Puller, sent_from: float
    ) -> None:
        if self._stopping or time.monotonic() - sent_from >= puller.ack_wait:
            await _give_back(msgs)
            return
        opened = [(msg, await self._open(msg)) for msg in msgs]
        live = [(msg, event) for msg, event in opened if event is not None]
        if not live:
            return
        error = "the batch handler reported this event as failed"
        try:
            failed = set(await handler([event for _, event in live]))
        except Exception as exc:  # noqa: BLE001 - any handler failure means "redeliver later"
            failed, error = {event.id for _, event in live}, f"{type(exc).__name__}: {exc}"
        for msg, event in live:
            if event.id in failed:
                await self._failed(msg, event, error)
            else:
                await _settle(msg.ack())

    async def _failed(self, msg: Msg, event: Event, error: str) -> None:
        if event.delivery >= self._max:
            await self._bury(msg, event, error)
            return
        await _settle(msg.nak(delay=retry_delay(event.delivery, self._ack_wait)))

    async def _bury(self, msg: Msg, event: Event, error: str) -> None:
        letter = dead_letter(event, self.group, error, self._clock())
        try:
            await self._publish(letter)
        except BusUnavailable:
            # Not buried yet: let it come back (past the cap) and try burying again then.
            await _settle(msg.nak(delay=retry_delay(event.delivery, self._ack_wait)))
            return
        log.error(
            "bus group %s gave up on event %s (%s) after %d deliveries: %s",
            self.group,
            event.id,
            event.topic,
            event.delivery,
            error,
        )
        await _settle(msg.term())


def _report_crash(task: asyncio.Task[None]) -> None:
    # A consumer loop only ends by stop(); anything else is a bug that must not pass quietly.
    if not task.cancelled() and task.exception() is not None:
        log.error("bus consumer %s crashed", task.get_name(), exc_info=task.exception())


async def _give_back(msgs: list[Msg]) -> None:
    for msg in msgs:
        await _settle(msg.nak())


async def _settle(reply: Awaitable[None]) -> None:
    """Send an ack/nak/term; if it is lost the server redelivers, which dedupe absorbs."""
    try:
        await reply
    except nats.errors.Error as exc:
        log.warning("could not settle a NATS message: %r", exc)
