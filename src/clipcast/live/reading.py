"""Reading a feed's chunks with deadlines, losing none.

Waiting for the next chunk with a timeout must not cancel the read in progress: cancelling
`anext()` of an async generator throws into it and finishes it for good, and the feed would
look ended. So a read that timed out stays pending, and the next wait takes it up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class FeedEnded(Exception):
    """The sender closed the feed."""


class Chunks:
    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._pending: asyncio.Future[bytes] | None = None

    async def next(self, timeout: float) -> bytes | None:  # noqa: ASYNC109 - the deadline is the point
        """The next chunk, or None if none came within `timeout` seconds (it is still being
        waited for). Raises FeedEnded when the source is done."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(anext(self._source))
        done, _ = await asyncio.wait({self._pending}, timeout=timeout)
        if not done:
            return None
        finished, self._pending = self._pending, None
        try:
            return finished.result()
        except StopAsyncIteration:
            raise FeedEnded from None

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await self._pending
            self._pending = None
