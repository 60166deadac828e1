"""`clipcast worker --role edge`, run beside nginx on each edge host: keeps the gate's files
true (edge/gate.py) from the bus, with a full pass from SQL at start and every few minutes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Bus, Event
from clipcast.adapters.bus.redelivery import node_group
from clipcast.cdn.service import access_loader, every_access
from clipcast.edge.gate import Gate

log = logging.getLogger(__name__)
# Whatever may change who can fetch a video's media, or makes a new video's media exist.
TOPICS = ("video.updated", "video.deleted", "video.ready")
RETRY_SECONDS = 5.0


def edge_group(node: str) -> str:
    """Every edge host keeps a whole gate, so each is its own consumer group."""
    return node_group("edge", node)


async def run_edge(
    *,
    sessions: async_sessionmaker[AsyncSession],
    bus: Bus,
    gate_dir: Path,
    node: str,
    resync_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Follow the bus until `stop`; a change is written as soon as its event arrives."""
    gate = Gate(gate_dir)
    await asyncio.to_thread(gate.create)
    load = access_loader(sessions)
    # Reading SQL and writing the files happen under one lock, so a full pass that read
    # before an event's change can never write over what that event wrote.
    lock = asyncio.Lock()

    async def handle(event: Event) -> None:
        try:
            video_id = uuid.UUID(str(event.payload.get("video_id")))
        except ValueError:
            return
        async with lock:
            access = await load(video_id)
            await asyncio.to_thread(gate.apply, video_id, access)

    subscription = await bus.subscribe(edge_group(node), list(TOPICS), handle)
    try:
        while not stop.is_set():
            done = await _full_pass(gate, sessions, lock)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), resync_seconds if done else RETRY_SECONDS)
    finally:
        await subscription.stop()


async def _full_pass(
    gate: Gate, sessions: async_sessionmaker[AsyncSession], lock: asyncio.Lock
) -> bool:
    """Every video from SQL; a database outage fails this pass (events still apply, and it
    is tried again in RETRY_SECONDS), it does not end the role."""
    try:
        async with lock:
            videos = await every_access(sessions)
            count = await asyncio.to_thread(gate.sync, videos)
    except (OperationalError, InterfaceError, OSError) as exc:
        log.warning("edge gate: full pass failed (%r); again in %ss", exc, RETRY_SECONDS)
        return False
    log.info("edge gate in %s: %d videos", gate.root, count)
    return True
