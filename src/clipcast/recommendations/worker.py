"""The recs worker's loops: a batch refresh every `refresh_seconds` (and at start when no model
exists yet), and the debounced one-user refreshes as they fall due."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.counters.base import Counters
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.core.clock import utcnow
from clipcast.recommendations import repository as repo
from clipcast.recommendations import service
from clipcast.recommendations.service import ModelCache, RecsConfig

log = logging.getLogger(__name__)
DUE_POLL_SECONDS = 1.0
# A refresh with nothing to learn from (no videos watched yet) stores no model; the next try
# waits this long, or an empty site would refresh again at once, forever (it spun a core).
NO_MODEL_RETRY_SECONDS = 60.0


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless stopped first; True if stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def _seconds_to_next_batch(
    sessions: async_sessionmaker[AsyncSession], config: RecsConfig
) -> float | None:
    """None when no model is stored yet."""
    async with sessions() as session:
        latest = await repo.latest_model(session)
    if latest is None:
        return None
    age = (utcnow() - latest.trained_at).total_seconds()
    return max(0.0, config.refresh_seconds - age)


async def run_batches(
    *,
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    storage: ObjectStorage,
    config: RecsConfig,
    stop: asyncio.Event,
) -> None:
    tried = False
    while not stop.is_set():
        wait = await _seconds_to_next_batch(sessions, config)
        if wait is None:  # no model yet: at once at start, then now and then
            wait = min(config.refresh_seconds, NO_MODEL_RETRY_SECONDS) if tried else 0.0
        if await _wait(stop, wait):
            return
        tried = True
        try:
            await service.refresh_all(
                sessions=sessions, counters=counters, storage=storage, config=config, now=utcnow()
            )
        except Exception:
            log.exception("batch refresh of recommendations failed")
            if await _wait(stop, min(config.refresh_seconds, 60.0)):
                return


async def run_due_refreshes(
    *,
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters,
    storage: ObjectStorage,
    config: RecsConfig,
    stop: asyncio.Event,
) -> None:
    cache = ModelCache()
    while not stop.is_set():
        try:
            done = await service.run_due(
                sessions=sessions,
                counters=counters,
                storage=storage,
                cache=cache,
                config=config,
                now=utcnow(),
            )
        except Exception:
            log.exception("one-user refresh of recommendations failed")
            done = 0
        if not done and await _wait(stop, DUE_POLL_SECONDS):
            return
