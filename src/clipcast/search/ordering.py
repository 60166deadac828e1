"""One indexing of a video at a time per index, so an older read of SQL is never written
over a newer one."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


# Per index object (a node has one; tests make many), per video being indexed right now.
_TURNS: weakref.WeakKeyDictionary[object, dict[uuid.UUID, _Turn]] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def one_at_a_time(index: object, video_id: uuid.UUID) -> AsyncIterator[None]:
    """Hold the video's turn on `index`: whoever reads SQL for it next also writes next.

    Handlers of one search node may run side by side (NATS before 2.10 pulls each topic in a
    loop of its own; a group may have several members in one process). Without turns, one
    that read the row before an edit could write after the edit's own handler, undoing the
    edit in the index until the next one.
    """
    turns = _TURNS.setdefault(index, {})
    turn = turns.setdefault(video_id, _Turn())
    turn.users += 1
    try:
        async with turn.lock:
            yield
    finally:
        turn.users -= 1
        if turn.users == 0:
            del turns[video_id]  # nobody holds or waits: forget it
