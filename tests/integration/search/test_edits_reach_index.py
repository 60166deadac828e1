"""Every edit of a video reaches its search document through the real path: the API writes
the row and an outbox event, the relay publishes it, the search node's consumer re-reads SQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select

from clipcast.accounts.models import User
from clipcast.adapters.bus.nats import NatsBus
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.outbox.repository import add_event
from clipcast.runtime import Role
from clipcast.settings import BusBackend, Settings
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from clipcast.web.app import create_app
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth
from tests.nats_server import NATS_URL, require_nats, unique_prefix

# The bus's normal lag is well under a second; this only bounds a test that would otherwise
# wait for ever. It is a deadline for polling, not a claim about speed.
DEADLINE_SECONDS = 30.0


@pytest.fixture(
    params=[("local", 0), ("local", 2), ("nats", 2)],
    ids=["local-bus", "local-bus-readers", "nats-readers"],
)
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The embedded bus, searches in threads or reader processes; and NATS, as scaled."""
    bus, readers = request.param
    settings.search_readers = readers
    settings.node = "edits-test"  # names this process's CDN consumer group; the default is long
    if bus == "nats":
        require_nats()
        settings.bus_backend = BusBackend.NATS
        settings.nats_url = NATS_URL
        settings.nats_prefix = unique_prefix()
    return settings


@pytest.fixture
async def live(adapters: Adapters) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the outbox relay and a search node beside it, as `serve` runs them."""
    app = create_app(adapters=adapters, roles={Role.RELAY, Role.SEARCH})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    if isinstance(adapters.bus, NatsBus):
        await adapters.bus.delete_streams()  # this test's prefix only


async def ready_video(adapters: Adapters, owner: str, title: str, description: str) -> str:
    """A ready video, its `video.ready` event in the outbox as transcoding leaves it."""
    now = utcnow()
    async with adapters.sessions() as session:
        owner_id = await session.scalar(select(User.id).where(User.username == owner))
        video = Video(
            id=uuid.uuid4(),
            owner_id=owner_id,
            created_at=now,
            updated_at=now,
            title=title,
            description=description,
            tags=["sourdough"],
            duration=60.0,
            state=VideoState.READY,
            progress=100,
            playable=True,
            visibility=Visibility.PUBLIC,
        )
        session.add(video)
        add_event(session, "video.ready", {"video_id": str(video.id)}, now)
        await session.commit()
    return str(video.id)


async def found(http: httpx.AsyncClient, q: str, token: str | None = None) -> set[str]:
    headers = auth(token) if token else {}
    response = await http.get("/api/v1/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


async def test_every_edit_reaches_the_index(live: httpx.AsyncClient, adapters: Adapters) -> None:
    await register(live, "alice", "alice's password")
    alice = await token_for(live, "alice", "alice's password")
    video = await ready_video(adapters, "alice", "Sourdough basics", "Feed the starter daily.")

    async def shows(q: str, token: str | None = None) -> bool:
        return video in await found(live, q, token)

    async def hides(q: str, token: str | None = None) -> bool:
        return video not in await found(live, q, token)

    async def edit(**fields: object) -> None:
        response = await live.patch(f"/api/v1/videos/{video}", json=fields, headers=auth(alice))
        assert response.status_code == 200, response.text

    await eventually(lambda: shows("sourdough basics"), "the ready video is found")

    await edit(title="Focaccia at home")
    await eventually(lambda: shows("focaccia"), "the new title is found")
    await eventually(lambda: hides("basics"), "the old title word is gone")
    assert await shows("sourdough")  # still a tag

    await edit(description="Olive oil and rosemary.")
    await eventually(lambda: shows("rosemary"), "the new description is found")
    await eventually(lambda: hides("starter"), "the old description word is gone")

    await edit(tags=["flatbread"])
    await eventually(lambda: shows("flatbread"), "the new tag is found")
    await eventually(lambda: hides("sourdough"), "the old tag is gone")

    await edit(visibility="private")
    await eventually(lambda: hides("focaccia"), "a private video is hidden from others")
    assert await shows("focaccia", alice)  # its owner still finds it

    await edit(visibility="public")
    await eventually(lambda: shows("focaccia"), "a public video is found again")

    response = await live.delete(f"/api/v1/videos/{video}", headers=auth(alice))
    assert response.status_code == 204, response.text
    await eventually(lambda: hides("focaccia", alice), "a deleted video is gone")
