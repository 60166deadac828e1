"""What one process holds of live streams: the feeds it runs, the viewer tally of its CDN route,
and the chat source that fills clip documents."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from clipcast.live.bundling import ChatSource, NoChat
from clipcast.live.srt import SrtListeners
from clipcast.live.viewers import ViewerTally


@dataclass
class _Running:
    task: asyncio.Task[object]
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    def __init__(self, chat: ChatSource | None = None) -> None:
        self.tally = ViewerTally()
        self.chat: ChatSource = chat if chat is not None else NoChat()
        self._feeds: dict[uuid.UUID, _Running] = {}
        self.srt: SrtListeners | None = None  # made on first use, from the settings

    async def take_over(self, video_id: uuid.UUID, grace: float) -> asyncio.Event:
        """Make the current task the stream's feed in this process: a feed already running
        here is asked to stop (its input ends, its last clip goes out) and, after `grace`
        seconds, cancelled. Returns the event that asks the new feed to stop."""
        await self.stop(video_id, grace)
        task = asyncio.current_task()
        assert task is not None
        running = _Running(task)
        self._feeds[video_id] = running
        return running.stop

    def release(self, video_id: uuid.UUID) -> None:
        running = self._feeds.get(video_id)
        if running is not None and running.task is asyncio.current_task():
            del self._feeds[video_id]

    async def stop(self, video_id: uuid.UUID, grace: float) -> None:
        """Stop the stream's feed if it runs here: gently, then by cancelling it."""
        running = self._feeds.pop(video_id, None)
        if running is None or running.task.done():
            return
        running.stop.set()
        _, pending = await asyncio.wait({running.task}, timeout=grace)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task}, timeout=grace)

    def running(self, video_id: uuid.UUID) -> bool:
        running = self._feeds.get(video_id)
        return running is not None and not running.task.done()


async def until(source: AsyncIterator[bytes], stop: asyncio.Event) -> AsyncIterator[bytes]:
    """`source`'s chunks until it ends or `stop` is set."""
    stopped = asyncio.ensure_future(stop.wait())
    chunk: asyncio.Future[bytes] | None = None
    try:
        while True:
            chunk = asyncio.ensure_future(anext(source))
            done, _ = await asyncio.wait({chunk, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if chunk not in done:
                return
            try:
                data = chunk.result()
            except StopAsyncIteration:
                return
            chunk = None
            yield data
    finally:
        stopped.cancel()
        if chunk is not None and not chunk.done():
            chunk.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await chunk
