"""The bus down for 30 s under the real relay and activity worker (NATS, Redis counters):
every event posted meanwhile is kept, the poster sees each of their writes at once, nobody's
counts go backwards, and once NATS is back the counts are exact."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clipcast.activity.models import PendingBatch
from clipcast.adapters.counters.base import CounterTotals
from clipcast.bootstrap import Adapters
from clipcast.runtime import Role
from clipcast.settings import BusBackend, Settings
from clipcast.web.app import create_app
from tests.integration.activity.conftest import (
    Person,
    clip_views,
    make_video,
    now_ms,
    post,
    reaction,
    sign_up,
)
from tests.nats_server import PrivateNats, private_nats, unique_prefix
from tests.services import reachable, require

pytestmark = [pytest.mark.nats, pytest.mark.slow]
OUTAGE_SECONDS = 30.0
POST_EVERY_SECONDS = 3.0


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[PrivateNats]:
    with private_nats(tmp_path) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str, nats_server: PrivateNats) -> Settings:
    require(reachable("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        node="activity-outage",  # names this process's consumer groups (a temp path is too long)
        bus_backend=BusBackend.NATS,
        nats_url=nats_server.url,
        nats_prefix=unique_prefix(),
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture
async def live(adapters: Adapters) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the outbox relay and the activity worker running in it, as `serve` does."""
    app = create_app(adapters=adapters, roles={Role.RELAY, Role.ACTIVITY})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    await adapters.counters.replace_all(CounterTotals(), set())  # this test's Redis keys


async def _stats(http: httpx.AsyncClient, video: uuid.UUID, person: Person | None) -> Any:
    headers = person.headers if person else {}
    http.cookies.clear()
    response = await http.get(f"/api/v1/videos/{video}/stats", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_a_30_second_bus_outage_loses_nothing_and_read_your_writes_holds(
    live: httpx.AsyncClient, adapters: Adapters, nats_server: PrivateNats
) -> None:
    owner, fan = await sign_up(live, "olga"), await sign_up(live, "fan")
    videos = [await make_video(adapters, owner, duration=600.0) for _ in range(3)]
    assert (
        await post(live, [reaction(videos[0], "like", "first")], fan.headers)
    ).status_code == 202

    async def delivered() -> bool:
        return (await _stats(live, videos[0], None))["likes"] == 1

    await _eventually(delivered)  # the bus is healthy: others see it

    nats_server.kill()
    loop = asyncio.get_running_loop()
    end, round_no, seen = loop.time() + OUTAGE_SECONDS, 0, {v: 0 for v in videos}
    while loop.time() < end:
        video = videos[round_no % len(videos)]
        for other in videos:  # a bystander: nothing moves while the bus is down, nothing drops
            views = (await _stats(live, other, None))["views"]
            assert views >= seen[other]
            seen[other] = views
        # A new anonymous viewer each round watches two clips: a view of their own.
        assert (
            await post(live, clip_views(video, [0, 1], prefix=f"r{round_no}-"))
        ).status_code == 202
        mine = (await live.get(f"/api/v1/videos/{video}/stats")).json()  # with their cookie
        assert mine["views"] == seen[video] + 1
        kind = "dislike" if round_no % 2 else "like"
        liked = [reaction(videos[1], kind, f"k{round_no}", ts=now_ms())]
        assert (await post(live, liked, fan.headers)).status_code == 202
        assert (await _stats(live, videos[1], fan))["my_reaction"] == kind
        round_no += 1
        await asyncio.sleep(POST_EVERY_SECONDS)
    assert round_no >= 5

    nats_server.start()  # same port and store: the relay reconnects and drains the outbox

    async def caught_up() -> bool:
        counts = [(await _stats(live, v, None))["views"] for v in videos]
        return sum(counts) == round_no

    await _eventually(caught_up)
    last = "dislike" if (round_no - 1) % 2 else "like"
    bystander = await _stats(live, videos[1], None)
    assert (bystander["likes"], bystander["dislikes"]) == (int(last == "like"), int(last != "like"))
    assert (await _stats(live, videos[0], None))["likes"] == 1

    async def settled() -> bool:
        async with adapters.sessions() as session:
            return await session.scalar(select(func.count()).select_from(PendingBatch)) == 0

    await _eventually(settled)
