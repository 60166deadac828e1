"""/readyz with NATS down: 503, the bus marked disconnected, the outbox backlog counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast.bootstrap import Adapters, build_adapters
from clipcast.core.clock import utcnow
from clipcast.outbox.repository import add_event
from clipcast.settings import BusBackend, Settings
from clipcast.web.app import create_app
from tests.nats_server import PrivateNats, private_nats, unique_prefix

pytestmark = pytest.mark.nats


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[PrivateNats]:
    with private_nats(tmp_path) as server:  # ours to kill; the shared one on 4222 stays up
        yield server


@pytest.fixture
async def on_nats(
    settings: Settings, nats_server: PrivateNats
) -> AsyncIterator[tuple[httpx.AsyncClient, Adapters]]:
    """The API (no relay, so the outbox keeps what is written) on the private NATS."""
    nats_settings = settings.model_copy(
        update={
            "bus_backend": BusBackend.NATS,
            "nats_url": nats_server.url,
            "nats_prefix": unique_prefix(),
        }
    )
    adapters = build_adapters(nats_settings)
    app = create_app(adapters=adapters, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, adapters
    await adapters.close()


async def test_readyz_is_503_with_the_bus_down_while_nats_is_down_and_200_once_back(
    on_nats: tuple[httpx.AsyncClient, Adapters], nats_server: PrivateNats
) -> None:
    client, adapters = on_nats
    up = await client.get("/readyz")
    assert up.status_code == 200, up.text
    assert up.json()["bus"] == {
        "backend": "nats",
        "connected": True,
        "outbox_backlog": 0,
        "outbox_lag_seconds": 0.0,
    }

    nats_server.kill()
    async with adapters.sessions() as session, session.begin():
        add_event(session, "video.ready", {"n": 1}, utcnow())  # a change made meanwhile
    down = await _eventually(client, 503)
    assert "not connected" in down["checks"]["bus"]
    assert down["checks"]["database"] == "ok"
    assert down["bus"]["connected"] is False
    assert down["bus"]["outbox_backlog"] == 1

    nats_server.start()  # same port, same store
    back = await _eventually(client, 200)
    assert back["checks"]["bus"] == "ok"
    assert back["bus"]["connected"] is True
    assert back["bus"]["outbox_backlog"] == 1  # nothing relays it in this process


async def _eventually(client: httpx.AsyncClient, status: int, within: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        response = await client.get("/readyz")
        if response.status_code == status:
            return response.json()
        assert loop.time() < deadline, f"/readyz stayed {response.status_code}: {response.text}"
        await asyncio.sleep(0.2)
