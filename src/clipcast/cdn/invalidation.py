"""Keeping the CDN route's memory true: the events that change who may fetch a video's media
(`video.updated`, `video.deleted`) make it forget that video — at commit for changes made in
this process, through the bus for those made in others."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from clipcast.adapters.bus.base import Event
from clipcast.outbox.models import OutboxEvent

TOPICS = ("video.updated", "video.deleted")
_STASH = "clipcast.cdn.forget"
Forget = Callable[[uuid.UUID], None]


def videos_named(topic: str, payload: dict[str, Any]) -> uuid.UUID | None:
    if topic not in TOPICS:
        return None
    try:
        return uuid.UUID(str(payload.get("video_id")))
    except ValueError:
        return None


def forget_on_commit(engine: Engine, forget: Forget) -> Callable[[], None]:
    """Forget each video whose change an outbox row announces, once its transaction commits
    on `engine`; before the relay has even seen it. Returns the undo (listeners removed)."""

    def flushed(session: Session, _context: Any) -> None:
        if session.bind is not engine:
            return
        for obj in session.new:
            if isinstance(obj, OutboxEvent) and (vid := videos_named(obj.topic, obj.payload)):
                session.info.setdefault(_STASH, set()).add(vid)

    def committed(session: Session) -> None:
        for vid in session.info.pop(_STASH, ()):
            forget(vid)

    def rolled_back(session: Session, _previous: Any = None) -> None:
        session.info.pop(_STASH, None)

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("after_flush", flushed),
        ("after_commit", committed),
        ("after_soft_rollback", rolled_back),
    ]
    for name, fn in listeners:
        event.listen(Session, name, fn)

    def undo() -> None:
        for name, fn in listeners:
            event.remove(Session, name, fn)

    return undo


def forget_on_event(forget: Forget) -> Callable[[Event], Any]:
    """A bus handler: forget the video an event names (changes made by other processes)."""

    async def handle(bus_event: Event) -> None:
        if vid := videos_named(bus_event.topic, bus_event.payload):
            forget(vid)

    return handle
