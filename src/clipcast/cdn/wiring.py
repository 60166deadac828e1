"""Starting and stopping one process's CDN route: its caches, and what keeps them true."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Bus, BusUnavailable, Subscription
from clipcast.adapters.bus.redelivery import node_group
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.cdn.access import AccessCache
from clipcast.cdn.asgi import MediaServer
from clipcast.cdn.invalidation import TOPICS, forget_on_commit, forget_on_event
from clipcast.cdn.objects import ObjectCache
from clipcast.cdn.service import access_loader
from clipcast.videos.chain import object_prefix

log = logging.getLogger(__name__)

FOLLOW_RETRY_SECONDS = 5.0


def cdn_group(node: str) -> str:
    """Each API process keeps its own caches, so each is a consumer group of its own."""
    return node_group("cdn", node)


@contextlib.asynccontextmanager
async def running_cdn(
    *,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    secret: bytes,
    bus: Bus | None,
    node: str,
    memory_bytes: int,
    observers: Iterable[Callable[[str], None]] = (),
) -> AsyncIterator[MediaServer]:
    """The MediaServer, forgetting a video when this process commits a change to it and, with
    `bus` (processes that run roles), when any other process does."""
    objects = ObjectCache(storage, budget_bytes=memory_bytes)
    access = AccessCache(access_loader(sessions))

    def forget(video_id: uuid.UUID) -> None:
        access.forget(video_id)
        objects.forget_prefix(object_prefix(video_id))

    undo = forget_on_commit(engine.sync_engine, forget)
    following: asyncio.Task[Subscription] | None = None
    if bus is not None:
        following = asyncio.create_task(_follow(bus, cdn_group(node), forget))
    try:
        yield MediaServer(access=access, objects=objects, secret=secret, observers=observers)
    finally:
        undo()
        if following is not None:
            await _stop(following)


async def _follow(bus: Bus, group: str, forget: Callable[[uuid.UUID], None]) -> Subscription:
    """Subscribe to other processes' changes, retrying while the bus is away. An API process
    must start and take uploads with NATS down (its commits wait in the outbox); meanwhile the
    access cache's expiry bounds how long another process's change goes unseen here."""
    while True:
        try:
            return await bus.subscribe(group, list(TOPICS), forget_on_event(forget))
        except BusUnavailable as exc:
            log.warning("CDN cache cannot follow the bus yet (%s); retrying", exc)
            await asyncio.sleep(FOLLOW_RETRY_SECONDS)


async def _stop(following: asyncio.Task[Subscription]) -> None:
    if not following.done():
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        return
    if following.exception() is None:
        await following.result().stop()
