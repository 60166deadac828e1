"""Load shedding for activity ingest: a bounded number of batches written at once per process,
a bounded queue behind them, and a quick "come back in a second" beyond that."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from clipcast.core.errors import TooManyRequests

# Below the database pool (5 + 10 overflow): other requests keep connections to use.
RUNNING = 8
WAITING = 64


class IngestGate:
    """Without it, a burst beyond what the database takes queues requests on the connection
    pool until they time out as 500s; with it, the excess is told to retry (429, Retry-After:
    1), which the watch page's reporter does with the same event ids."""

    def __init__(self, *, running: int = RUNNING, waiting: int = WAITING) -> None:
        self._slots = asyncio.Semaphore(running)
        self._waiting = 0
        self._max_waiting = waiting

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self._max_waiting:
            raise TooManyRequests(
                "The server is busy; send the batch again shortly.",
                retry_after=1,
                code="server_busy",
            )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
