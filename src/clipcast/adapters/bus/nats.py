"""The scaled bus: NATS JetStream streams, durable pull consumers, Nats-Msg-Id dedupe."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    Header,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError

from clipcast.adapters.bus.base import BatchHandler, BusUnavailable, Event, Handler
from clipcast.adapters.bus.nats_consumer import NatsSubscription, Puller
from clipcast.adapters.bus.nats_wire import Naming, durable_for_topic, encode
from clipcast.adapters.bus.redelivery import check_names, check_topic
from clipcast.core.clock import utcnow

log = logging.getLogger(__name__)


class NatsBus:
    """Bus on NATS JetStream: `{prefix}_EVENTS` holds events, `{prefix}_DEAD` dead letters.

    Connects on first use and then reconnects forever, so the process starts, and keeps
    running, while NATS is down: publishes fail with BusUnavailable (the outbox keeps them),
    consumers wait, and both carry on when the server is back.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        duplicate_window_seconds: float = 120.0,
        timeout_seconds: float = 5.0,
        fetch_batch: int = 64,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._url = url
        self.naming = Naming(prefix)
        self._duplicate_window = duplicate_window_seconds
        self._timeout = timeout_seconds
        self._fetch_batch = fetch_batch
        self._clock = clock
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connect_lock = asyncio.Lock()
        # Writes to the socket happen in call order under this lock, so a window of
        # concurrent publishes lands in the stream in the order the caller made them.
        self._send_lock = asyncio.Lock()
        self._subscriptions: set[NatsSubscription] = set()
        self._closing = False

    async def publish(self, event: Event) -> None:
        check_topic(event.topic)
        js = await self._jetstream()
        headers = {Header.MSG_ID: str(event.id)}  # the server drops a repeat within the window
        try:
            async with self._send_lock:
                acked = await js.publish_async(
                    self.naming.subject(event.topic), encode(event), headers=headers
                )
            async with asyncio.timeout(self._timeout):  # no task per call, unlike wait_for
                await acked
        except (nats.errors.Error, TimeoutError) as exc:
            raise BusUnavailable(f"NATS did not confirm event {event.id}: {exc!r}") from exc

    async def subscribe(
        self,
        group: str,
        topics: list[str],
        handler: Handler,
        *,
        max_deliveries: int = 5,
        ack_wait_seconds: float = 30.0,
    ) -> NatsSubscription:
        pullers = await self._pullers(
            group, topics, self._fetch_batch, max_deliveries, ack_wait_seconds
        )
        return self._start(
            NatsSubscription(
                group,
                pullers,
                handler=handler,
                max_deliveries=max_deliveries,
                ack_wait_seconds=ack_wait_seconds,
                publish=self.publish,
                clock=self._clock,
            )
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
    ) -> NatsSubscription:
        pullers = await self._pullers(group, topics, max_batch, max_deliveries, ack_wait_seconds)
        return self._start(
            NatsSubscription(
                group,
                pullers,
                batch_handler=handler,
                max_deliveries=max_deliveries,
                ack_wait_seconds=ack_wait_seconds,
                publish=self.publish,
                clock=self._clock,
            )
        )

    def _start(self, subscription: NatsSubscription) -> NatsSubscription:
        self._subscriptions.add(subscription)
        subscription.start(on_stop=self._subscriptions.discard)
        return subscription

    async def _pullers(
        self, group: str, topics: list[str], batch: int, max_deliveries: int, ack_wait: float
    ) -> list[Puller]:
        check_names(group, topics)
        js = await self._jetstream()
        pullers = []
        try:
            for stream, config in self._consumers(group, topics, max_deliveries, ack_wait):
                # Creating with the same name updates ack_wait / max_deliver in place.
                await js.add_consumer(stream, config)
                pull = await js.pull_subscribe_bind(durable=config.durable_name, stream=stream)
                pullers.append(Puller(pull, batch, ack_wait))
        except nats.errors.Error as exc:
            raise BusUnavailable(f"could not create consumers for {group}: {exc!r}") from exc
        return pullers

    def _consumers(
        self, group: str, topics: list[str], max_deliveries: int, ack_wait: float
    ) -> list[tuple[str, ConsumerConfig]]:
        """Durable consumer configs: one per stream if the server filters on many subjects."""
        assert self._nc is not None
        version = self._nc.connected_server_version
        multi_filter = (version.major, version.minor) >= (2, 10)
        by_stream: dict[str, list[str]] = {}
        for topic in topics:
            by_stream.setdefault(self.naming.stream_of(topic), []).append(topic)
        configs = []
        for stream, wanted in by_stream.items():
            subjects = [self.naming.subject(t) for t in wanted]
            if multi_filter:
                configs.append((stream, _consumer(group, subjects, max_deliveries, ack_wait)))
                continue
            for topic, subject in zip(wanted, subjects, strict=True):
                name = durable_for_topic(group, topic)
                configs.append((stream, _consumer(name, [subject], max_deliveries, ack_wait)))
        return configs

    async def check(self) -> None:
        nc = await self._connection()
        if not nc.is_connected:  # while reconnecting, flush() returns at once without a ping
            raise BusUnavailable(f"NATS at {self._url}: not connected (reconnecting)")
        try:
            await nc.flush(timeout=max(1, int(self._timeout)))
        except (nats.errors.Error, TimeoutError) as exc:
            raise BusUnavailable(f"NATS at {self._url} did not answer a ping") from exc

    async def close(self) -> None:
        for subscription in list(self._subscriptions):
            await subscription.stop()
        if self._nc is not None:
            self._closing = True  # a disconnect from here on is ours, not worth a warning
            await self._nc.close()
            self._closing = False
        self._nc = self._js = None

    async def delete_streams(self) -> None:
        """Remove this prefix's streams and everything in them (tests, tear-down of a tenant)."""
        js = await self._jetstream()
        for stream in (self.naming.events_stream, self.naming.dead_stream):
            await js.delete_stream(stream)

    async def _connection(self) -> Client:
        await self._jetstream()
        assert self._nc is not None
        return self._nc

    async def _jetstream(self) -> JetStreamContext:
        if self._js is not None:
            return self._js
        async with self._connect_lock:
            if self._js is None:
                nc = await self._connect()
                js = nc.jetstream(timeout=self._timeout)
                try:
                    await self._ensure_streams(js)
                except (nats.errors.Error, TimeoutError) as exc:
                    await nc.close()
                    raise BusUnavailable(f"JetStream at {self._url} unusable: {exc!r}") from exc
                self._nc, self._js = nc, js
        return self._js

    async def _connect(self) -> Client:
        nc = Client()
        try:
            # Reconnect forever once connected; the first connection is bounded here
            # instead, so a caller learns NATS is down and retries later.
            await asyncio.wait_for(
                nc.connect(
                    servers=[self._url],
                    name="clipcast",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=1,
                    connect_timeout=2,
                    ping_interval=10,  # notice a silent network loss in ~30 s, not minutes
                    error_cb=self._log_error,
                    disconnected_cb=self._log_disconnected,
                    reconnected_cb=_log_reconnected,
                ),
                self._timeout,
            )
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            await nc.close()
            raise BusUnavailable(f"cannot connect to NATS at {self._url}") from exc
        return nc

    async def _log_error(self, exc: Exception) -> None:
        if not self._closing:
            log.warning("NATS connection error: %r", exc)

    async def _log_disconnected(self) -> None:
        if not self._closing:
            log.warning("NATS disconnected; reconnecting")

    async def _ensure_streams(self, js: JetStreamContext) -> None:
        for stream in (self.naming.events_stream, self.naming.dead_stream):
            config = StreamConfig(
                name=stream,
                subjects=self.naming.stream_subjects(stream),
                storage=StorageType.FILE,
                duplicate_window=self._duplicate_window,
            )
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)  # exists with older settings: bring it up to date


def _consumer(
    name: str, subjects: list[str], max_deliveries: int, ack_wait: float
) -> ConsumerConfig:
    config = ConsumerConfig(
        name=name,
        durable_name=name,
        # The group's backlog starts at its registration, as with the embedded bus.
        deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        # One delivery more than the handler gets: if the last try dies with its process,
        # the extra one arrives and is buried instead of vanishing silently.
        max_deliver=max_deliveries + 1,
    )
    if len(subjects) == 1:
        config.filter_subject = subjects[0]
    else:
        config.filter_subjects = subjects  # needs nats-server 2.10
    return config


async def _log_reconnected() -> None:
    log.info("NATS reconnected")
