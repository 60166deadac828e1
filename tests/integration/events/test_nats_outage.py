"""NATS down for a while: events pile up in the outbox, nothing is lost, the backlog drains."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.adapters.bus.base import BusUnavailable, Event
from clipcast.adapters.bus.nats import NatsBus
from clipcast.db.migrate import upgrade
from clipcast.db.session import make_engine, make_sessionmaker
from clipcast.events.dedupe import handle_once
from clipcast.events.relay import outbox_lag, relay_once, run_relay
from tests.integration.events.conftest import Sessions, commit_events, outbox_rows
from tests.nats_server import PrivateNats, private_nats

pytestmark = pytest.mark.nats


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'outage.db'}"
    upgrade(url)
    return url


@pytest.fixture
async def local_sessions(sqlite_url: str) -> AsyncIterator[Sessions]:
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[PrivateNats]:
    with private_nats(tmp_path) as server:
        yield server


async def test_outage_keeps_events_in_the_outbox_and_the_backlog_drains_once(
    local_sessions: Sessions, nats_server: PrivateNats
) -> None:
    sessions = local_sessions
    bus = NatsBus(nats_server.url, prefix="outage", timeout_seconds=1.0)
    applied: list[uuid.UUID] = []

    async def consume(event: Event) -> None:
        async def work(session: AsyncSession) -> None:
            applied.append(event.id)

        await handle_once(sessions, "search", event, work)

    await bus.subscribe("search", ["video.ready"], consume, ack_wait_seconds=1.0)
    await commit_events(sessions, 5)
    assert await relay_once(sessions, bus, batch=100) == 5
    await _eventually(lambda: len(applied) == 5)

    nats_server.kill()
    await commit_events(sessions, 5)  # uploads go on: their events only wait in the outbox
    with pytest.raises(BusUnavailable):
        await relay_once(sessions, bus, batch=100)
    assert (await outbox_lag(sessions))[0] == 5

    nats_server.start()  # same port, same store directory
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay(sessions, bus, stop=stop, idle_seconds=0.05))
    await _eventually(lambda: len(applied) == 10, within=30)
    await asyncio.sleep(1.5)  # room for any redelivery to show up
    stop.set()
    await relay
    await bus.close()

    assert await outbox_lag(sessions) == (0, 0.0)
    assert applied == [row.id for row in await outbox_rows(sessions)]


async def _eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
