"""Consumers apply each event once, however often it is delivered."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.adapters.bus.base import Event
from clipcast.core.clock import utcnow
from clipcast.events.dedupe import handle_batch_once, handle_once
from clipcast.events.models import ProcessedEvent
from tests.integration.events.conftest import Sessions


def event(n: int = 0) -> Event:
    return Event(uuid.uuid4(), "video.ready", {"n": n}, utcnow())


async def processed(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)


async def test_handle_once_applies_an_event_once_under_triple_delivery(
    sessions: Sessions,
) -> None:
    sent = event()
    runs: list[int] = []

    async def work(session: AsyncSession) -> None:
        runs.append(1)
        await asyncio.sleep(0.05)  # the twins arrive while the first is still working

    results = await asyncio.gather(*(handle_once(sessions, "thumbs", sent, work) for _ in "abc"))

    assert sorted(results) == [False, False, True]
    assert runs == [1]
    assert await handle_once(sessions, "search", sent, work) is True  # another consumer
    assert await processed(sessions) == 2


async def test_handle_once_runs_again_after_the_work_failed(sessions: Sessions) -> None:
    sent = event()

    async def broken(session: AsyncSession) -> None:
        raise RuntimeError("disk full")

    async def fine(session: AsyncSession) -> None:
        return None

    with pytest.raises(RuntimeError):
        await handle_once(sessions, "thumbs", sent, broken)
    assert await handle_once(sessions, "thumbs", sent, fine) is True
    assert await handle_once(sessions, "thumbs", sent, fine) is False


async def test_a_batch_is_applied_once_however_often_it_is_delivered(
    sessions: Sessions,
) -> None:
    applied: list[uuid.UUID] = []

    async def work(session: AsyncSession, events: list[Event]) -> None:
        applied.extend(e.id for e in events)

    sent = [event(n) for n in range(10)]

    assert await handle_batch_once(sessions, "search", sent[:4], work) == set()
    assert await handle_batch_once(sessions, "search", sent + sent, work) == set()  # twins too
    assert await handle_batch_once(sessions, "search", sent, work) == set()

    assert applied == [e.id for e in sent]
    assert await processed(sessions) == 10


async def test_a_failing_event_fails_alone_and_its_batch_mates_are_applied(
    sessions: Sessions,
) -> None:
    poison = event(-1)
    applied: list[uuid.UUID] = []

    async def work(session: AsyncSession, events: list[Event]) -> None:
        if poison in events:
            raise ValueError("cannot apply")
        applied.extend(e.id for e in events)

    good = [event(n) for n in range(4)]

    failed = await handle_batch_once(sessions, "search", [*good[:2], poison, *good[2:]], work)

    assert failed == {poison.id}
    assert applied == [e.id for e in good]
    assert await processed(sessions) == 4  # the poison event stays unrecorded: redelivered
