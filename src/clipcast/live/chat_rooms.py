"""The chat sockets this process holds, by stream: one listener per stream reads the store's
events (from every process) and hands each to every socket's queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from clipcast.adapters.chat.base import ChatStore, ChatStoreUnavailable, EventType

log = logging.getLogger(__name__)

SOCKET_QUEUE = 500  # events a socket may fall behind before it is told to read the chat again
RETRY_SECONDS = 1.0


@dataclass
class _Room:
    members: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class ChatRooms:
    def __init__(self, store: ChatStore) -> None:
        self._store = store
        self._rooms: dict[uuid.UUID, _Room] = {}

    @contextlib.asynccontextmanager
    async def joined(self, video_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue of the stream's events from now on (the listener is up before it returns)."""
        room = self._rooms.get(video_id)
        if room is None:
            room = self._rooms[video_id] = _Room()
            room.task = asyncio.create_task(self._listen(video_id, room))
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=SOCKET_QUEUE)
        room.members.add(queue)
        try:
            await room.listening.wait()
            yield queue
        finally:
            room.members.discard(queue)
            if not room.members and self._rooms.get(video_id) is room:
                del self._rooms[video_id]
                assert room.task is not None
                room.task.cancel()

    async def _listen(self, video_id: uuid.UUID, room: _Room) -> None:
        try:
            await self._listen_on(video_id, room)
        finally:  # however it ends, no socket waits for it
            room.listening.set()

    async def _listen_on(self, video_id: uuid.UUID, room: _Room) -> None:
        while True:
            try:
                async with self._store.listen(video_id) as events:
                    if room.listening.is_set():  # back after a failure: events were missed
                        _deliver(room, {"type": EventType.RESYNC})
                    room.listening.set()
                    async for event in events:
                        _deliver(room, event)
            except ChatStoreUnavailable as exc:
                log.warning("chat listener of %s failed (%s); listening again", video_id, exc)
                room.listening.set()  # sockets wait no longer; they resync once it is back
                await asyncio.sleep(RETRY_SECONDS)

    def listeners(self, video_id: uuid.UUID) -> int:
        room = self._rooms.get(video_id)
        return len(room.members) if room else 0


def _deliver(room: _Room, event: dict[str, Any]) -> None:
    for queue in list(room.members):
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:  # this socket fell behind: it reads the chat again
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait({"type": EventType.RESYNC})
