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


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless stopped first; True if stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def _seconds_to_next_batch(
    sessions: async_sessionmaker[AsyncSession], config: RecsConfig
) -> float:
    async with sessions() as session:
        latest = await repo.latest_model(session)
    if latest is None:
        return 0.0
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
    while not stop.is_set():
        if await _wait(stop, await _seconds_to_next_batch(sessions, config)):
            return
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
