"""The chat store in this process's memory (embedded mode: one process holds every socket).

Bounded: the newest KEEP_MESSAGES per stream, the most recently active MAX_STREAMS streams,
flood counters of the senders of the last FLOOD_MEMORY seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from clipcast.adapters.chat.base import KEEP_MESSAGES, ChatMessage, EventType, message_event
from clipcast.live.chat_rules import Restriction, flood_wait

MAX_STREAMS = 1000
LISTENER_QUEUE = 1000  # events a listener may fall behind before it is told to resync


@dataclass
class _Stream:
    messages: deque[ChatMessage] = field(default_factory=lambda: deque(maxlen=KEEP_MESSAGES))
    removed: deque[str] = field(default_factory=lambda: deque(maxlen=KEEP_MESSAGES))
    flood: dict[str, deque[float]] = field(default_factory=dict)
    restrictions: dict[str, Restriction] = field(default_factory=dict)
    listeners: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)


class MemoryChatStore:
    def __init__(self, *, max_streams: int = MAX_STREAMS) -> None:
        self._streams: OrderedDict[uuid.UUID, _Stream] = OrderedDict()
        self._max_streams = max_streams

    def _stream(self, video_id: uuid.UUID) -> _Stream:
        stream = self._streams.get(video_id)
        if stream is None:
            stream = self._streams[video_id] = _Stream()
            self._evict()
        self._streams.move_to_end(video_id)
        return stream

    def _evict(self) -> None:
        for video_id in list(self._streams):
            if len(self._streams) <= self._max_streams:
                return
            if not self._streams[video_id].listeners:  # never a stream someone listens to
                del self._streams[video_id]

    async def append(self, video_id: uuid.UUID, message: ChatMessage) -> None:
        self._stream(video_id).messages.append(message)
        await self.announce(video_id, message_event(message))

    async def recent(self, video_id: uuid.UUID, limit: int) -> list[ChatMessage]:
        stream = self._streams.get(video_id)
        if stream is None or limit <= 0:
            return []
        gone = set(stream.removed)
        kept = [m for m in stream.messages if m.id not in gone]
        return kept[-limit:]

    async def remove(self, video_id: uuid.UUID, message_id: str) -> None:
        stream = self._stream(video_id)
        if message_id not in stream.removed:
            stream.removed.append(message_id)
        await self.announce(video_id, {"type": EventType.DELETED, "id": message_id})

    async def removed(self, video_id: uuid.UUID) -> list[str]:
        stream = self._streams.get(video_id)
        return list(stream.removed) if stream else []

    async def admit(
        self, video_id: uuid.UUID, user_id: str, now: float, limit: int, window: float
    ) -> float:
        stream = self._stream(video_id)
        times = stream.flood.setdefault(user_id, deque(maxlen=limit))
        wait = flood_wait(times, now, limit, window)
        if wait <= 0:
            times.append(now)
        self._forget_quiet_senders(stream, now, window)
        return wait

    @staticmethod
    def _forget_quiet_senders(stream: _Stream, now: float, window: float) -> None:
        if len(stream.flood) > 1000:
            for user_id in [u for u, t in stream.flood.items() if not t or t[-1] <= now - window]:
                del stream.flood[user_id]

    async def restrict(
        self, video_id: uuid.UUID, user_id: str, restriction: Restriction | None
    ) -> None:
        stream = self._stream(video_id)
        if restriction is None:
            stream.restrictions.pop(user_id, None)
            event: dict[str, Any] = {"type": EventType.LIFTED, "user_id": user_id}
        else:
            stream.restrictions[user_id] = restriction
            event = {"type": EventType.RESTRICTED, "user_id": user_id, "until": restriction.until}
        await self.announce(video_id, event)

    async def restriction(self, video_id: uuid.UUID, user_id: str) -> Restriction | None:
        stream = self._streams.get(video_id)
        return stream.restrictions.get(user_id) if stream else None

    async def announce(self, video_id: uuid.UUID, event: dict[str, Any]) -> None:
        stream = self._streams.get(video_id)
        for queue in list(stream.listeners) if stream else []:
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a listener this far behind starts over
                _drain(queue)
                queue.put_nowait({"type": EventType.RESYNC})

    @contextlib.asynccontextmanager
    async def listen(self, video_id: uuid.UUID) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=LISTENER_QUEUE)
        stream = self._stream(video_id)
        stream.listeners.add(queue)
        try:
            yield _events(queue)
        finally:
            stream.listeners.discard(queue)

    async def close(self) -> None:
        self._streams.clear()


async def _events(queue: asyncio.Queue[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    while True:
        yield await queue.get()


def _drain(queue: asyncio.Queue[dict[str, Any]]) -> None:
    while not queue.empty():
        queue.get_nowait()
