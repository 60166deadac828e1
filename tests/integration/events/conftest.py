"""Fixtures for the event plumbing: sessions on the parametrized database, outbox helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.clock import utcnow
from clipcast.db.session import make_engine, make_sessionmaker
from clipcast.outbox.models import OutboxEvent
from clipcast.outbox.repository import add_event

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def commit_events(sessions: Sessions, count: int, *, age: timedelta = timedelta()) -> None:
    """What services do: state change and event in one transaction (here only the event)."""
    created: datetime = utcnow() - age
    async with sessions() as session, session.begin():
        for n in range(count):
            add_event(session, "video.ready", {"n": n}, created)


async def outbox_rows(sessions: Sessions) -> list[OutboxEvent]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))).all())
