"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.core.ids import new_id
from clipcast.outbox.models import OutboxEvent


def add_event(session: AsyncSession, topic: str, payload: dict[str, Any], now: datetime) -> None:
    """Stage an event; it commits or rolls back with the state change it announces."""
    session.add(OutboxEvent(id=new_id(), topic=topic, payload=payload, created_at=now))
