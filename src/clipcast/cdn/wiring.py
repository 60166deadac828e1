"""Starting and stopping one process's CDN route: its caches, and what keeps them true."""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Bus, Subscription
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.cdn.access import AccessCache
from clipcast.cdn.asgi import MediaServer
from clipcast.cdn.invalidation import TOPICS, forget_on_commit, forget_on_event
from clipcast.cdn.objects import ObjectCache
from clipcast.cdn.service import access_loader
from clipcast.videos.chain import object_prefix


def cdn_group(node: str) -> str:
    """Each API process keeps its own caches, so each is a consumer group of its own.

    Group names are at most 64 characters; a long node name (host and a deep data dir) keeps
    its start and gains a digest of the whole, so two nodes never share a group.
    """
    name = "cdn-" + re.sub(r"[^A-Za-z0-9_-]+", "-", node).strip("-")
    if len(name) <= 64:
        return name
    return name[:47] + "-" + hashlib.sha256(node.encode()).hexdigest()[:16]


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
    subscription: Subscription | None = None
    try:
        if bus is not None:
            subscription = await bus.subscribe(
                cdn_group(node), list(TOPICS), forget_on_event(forget)
            )
        yield MediaServer(access=access, objects=objects, secret=secret, observers=observers)
    finally:
        undo()
        if subscription is not None:
            await subscription.stop()
