"""Servers and stores the contract suites run their adapters against."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clipcast.adapters.bus.base import BatchBus
from clipcast.adapters.bus.local import LocalBus
from clipcast.adapters.bus.nats import NatsBus
from clipcast.db.migrate import upgrade
from clipcast.db.session import make_engine, make_sessionmaker
from tests.nats_server import NATS_URL, require_nats, unique_prefix

# The SeaweedFS server is one per test session, defined in tests/conftest.py.


@dataclass
class BusFactory:
    """Builds buses on one backing store, as separate processes (or restarts) would."""

    kind: str
    target: str  # database URL or NATS stream prefix
    buses: list[BatchBus] = field(default_factory=list)
    engines: list[AsyncEngine] = field(default_factory=list)

    def __call__(self) -> BatchBus:
        bus: BatchBus
        if self.kind == "nats":
            bus = NatsBus(NATS_URL, prefix=self.target, timeout_seconds=5.0)
        else:
            engine = make_engine(self.target)  # an engine per bus: no shared pool, like a process
            self.engines.append(engine)
            bus = LocalBus(make_sessionmaker(engine), poll_seconds=0.05)
        self.buses.append(bus)
        return bus

    async def close(self) -> None:
        for bus in self.buses:
            await bus.close()
        if self.kind == "nats":
            cleaner = NatsBus(NATS_URL, prefix=self.target)
            await cleaner.delete_streams()
            await cleaner.close()
        for engine in self.engines:
            await engine.dispose()


@pytest.fixture(
    params=[
        "local-sqlite",
        pytest.param("local-postgres", marks=pytest.mark.postgres),
        pytest.param("nats", marks=pytest.mark.nats),
    ]
)
def bus_target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, where): a migrated database, or a stream prefix of this test's own."""
    if request.param == "local-sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
        upgrade(url)
        return "local", url
    if request.param == "local-postgres":
        return "local", str(request.getfixturevalue("database_url_postgres"))
    require_nats()
    return "nats", unique_prefix()


@pytest.fixture
async def make_bus(bus_target: tuple[str, str]) -> AsyncIterator[Callable[[], BatchBus]]:
    factory = BusFactory(*bus_target)
    yield factory
    await asyncio.wait_for(factory.close(), 30)
