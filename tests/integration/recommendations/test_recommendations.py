"""Recommendations end to end on SQLite and PostgreSQL: activity through the real consumer
into history, a batch refresh, and what the API then shows each user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.recommendations import handlers, service
from clipcast.recommendations.service import RecsConfig
from tests.integration.activity.conftest import (
    HandBus,
    Person,
    clip_views,
    make_video,
    post,
    sign_up,
)
from tests.integration.groups.conftest import new_group, share


@dataclass
class Site:
    owner: Person
    surfing: list[uuid.UUID]
    cooking: list[uuid.UUID]


async def tag(adapters: Adapters, video: uuid.UUID) -> None:
    """What the recs worker does on video.ready."""
    event = Event(uuid.uuid4(), handlers.VIDEO_READY, {"video_id": str(video)}, utcnow())
    await handlers.handle(event, sessions=adapters.sessions, config=RecsConfig())


async def video(
    adapters: Adapters, owner: Person, title: str, tags: list[str], **kw: Any
) -> uuid.UUID:
    made = await make_video(adapters, owner, title=title, tags=tags, **kw)
    await tag(adapters, made)
    return made


async def watch(
    client: httpx.AsyncClient, bus: HandBus, person: Person, *videos: uuid.UUID
) -> None:
    for n, v in enumerate(videos):
        events = clip_views(v, [0, 1, 2, 3, 4], prefix=f"{person.name}-{v}-{n}-")
        assert (await post(client, events, person.headers)).status_code == 202
    await bus.drain()


async def refresh(adapters: Adapters) -> None:
    await service.refresh_all(
        sessions=adapters.sessions,
        counters=adapters.counters,
        storage=adapters.storage,
        config=RecsConfig(),
        now=utcnow() + timedelta(seconds=1),
    )


async def recs(client: httpx.AsyncClient, person: Person) -> list[dict[str, Any]]:
    """Every item of the person's rows, in row order."""
    got = await client.get("/api/v1/me/recommendations", headers=person.headers)
    assert got.status_code == 200, got.text
    return [item for row in got.json()["rows"] for item in row["items"]]


@pytest.fixture
async def site(client: httpx.AsyncClient, adapters: Adapters, bus: HandBus) -> Site:
    owner = await sign_up(client, "olga")
    surfing = [
        await video(adapters, owner, f"Surfing the reef, part {n}", ["surfing"]) for n in range(4)
    ]
    cooking = [
        await video(adapters, owner, f"Cooking pasta, lesson {n}", ["cooking"]) for n in range(4)
    ]
    # Other viewers give the collaborative model something to learn from.
    for name, videos in (
        ("wendy", surfing),
        ("walt", surfing[:3]),
        ("xena", cooking),
        ("xavier", cooking[1:]),
    ):
        await watch(client, bus, await sign_up(client, name), *videos)
    return Site(owner, surfing, cooking)


@pytest.fixture
def bus(adapters: Adapters) -> HandBus:
    return HandBus(adapters)


async def test_a_surfing_viewer_gets_surfing_first_with_the_reason(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    victor = await sign_up(client, "victor")
    await watch(client, bus, victor, *site.surfing[:2])
    await refresh(adapters)

    items = await recs(client, victor)
    first = items[0]
    assert uuid.UUID(first["id"]) in site.surfing[2:]
    assert first["reason_text"] in (
        "Because you like #surfing",
        *(f"Viewers of “Surfing the reef, part {n}” also watched" for n in range(2)),
    )
    surfing_first = [uuid.UUID(i["id"]) in site.surfing for i in items]
    assert surfing_first[:2] == [True, True]
    assert all(i["reason_text"] for i in items)


async def test_a_watched_video_is_not_recommended_again(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    victor = await sign_up(client, "victor")
    await watch(client, bus, victor, *site.surfing[:2])
    await refresh(adapters)
    shown = {uuid.UUID(i["id"]) for i in await recs(client, victor)}
    assert not shown & set(site.surfing[:2])

    # He watches the top pick: gone from his list at once, before any refresh...
    top = uuid.UUID((await recs(client, victor))[0]["id"])
    await watch(client, bus, victor, top)
    assert top not in {uuid.UUID(i["id"]) for i in await recs(client, victor)}
    # ...and after one.
    await refresh(adapters)
    assert top not in {uuid.UUID(i["id"]) for i in await recs(client, victor)}


async def test_private_and_group_videos_never_reach_a_non_member(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    owner = site.owner
    wendy = await sign_up(client, "wanda")
    victor = await sign_up(client, "victor")
    private = await video(adapters, owner, "Surfing secret spot", ["surfing"], visibility="private")
    shared = await video(adapters, owner, "Surfing club night", ["surfing"])
    group = await new_group(client, owner.token, "club", "wanda")
    assert (await share(client, owner.token, str(shared), group["id"])).status_code == 200
    await watch(client, bus, wendy, *site.surfing[:2])
    await watch(client, bus, victor, *site.surfing[:2])
    await refresh(adapters)

    victors = {uuid.UUID(i["id"]) for i in await recs(client, victor)}
    assert private not in victors
    assert shared not in victors
    assert shared in {uuid.UUID(i["id"]) for i in await recs(client, wendy)}
    for person in (victor, wendy):
        nexts = await client.get(
            f"/api/v1/videos/{site.surfing[0]}/up-next", headers=person.headers
        )
        assert private not in {uuid.UUID(i["id"]) for i in nexts.json()["items"]}
    nexts = await client.get(f"/api/v1/videos/{site.surfing[0]}/up-next", headers=victor.headers)
    assert shared not in {uuid.UUID(i["id"]) for i in nexts.json()["items"]}
    hidden = await client.get(f"/api/v1/videos/{private}/up-next", headers=victor.headers)
    assert hidden.status_code == 404


async def test_a_muted_tag_disappears(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    victor = await sign_up(client, "victor")
    await watch(client, bus, victor, site.surfing[0], site.cooking[0])
    await refresh(adapters)
    tags = (await client.get("/api/v1/me/tags", headers=victor.headers)).json()["items"]
    assert "surfing" in {t["tag"] for t in tags if not t["muted"]}
    assert set(site.surfing) & {uuid.UUID(i["id"]) for i in await recs(client, victor)}

    muted = await client.put(
        "/api/v1/me/tags/surfing", json={"muted": True}, headers=victor.headers
    )
    assert muted.status_code == 204
    # At once, before the list is remade...
    items = await recs(client, victor)
    assert not set(site.surfing) & {uuid.UUID(i["id"]) for i in items}
    assert all(i["reason_tag"] != "surfing" for i in items)
    # ...and after the debounced refresh, which finds it due now.
    done = await service.run_due(
        sessions=adapters.sessions,
        counters=adapters.counters,
        storage=adapters.storage,
        cache=service.ModelCache(),
        config=RecsConfig(),
        now=utcnow() + timedelta(seconds=1),
    )
    assert done == 1
    items = await recs(client, victor)
    assert not set(site.surfing) & {uuid.UUID(i["id"]) for i in items}
    tags = (await client.get("/api/v1/me/tags", headers=victor.headers)).json()["items"]
    assert {"tag": "surfing", "weight": 0.0, "muted": True, "added": False} in tags


async def test_up_next_follows_co_visitation_then_same_tag(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    await refresh(adapters)
    got = await client.get(f"/api/v1/videos/{site.surfing[0]}/up-next")
    assert got.status_code == 200
    items = got.json()["items"]
    assert items[0]["reason"] == "also_watched"
    assert uuid.UUID(items[0]["id"]) in site.surfing[1:]
    assert {uuid.UUID(i["id"]) for i in items[:3]} <= set(site.surfing[1:])
    # A video nobody watched yet falls back to popular videos of its tags.
    lone = await video(adapters, site.owner, "Cooking risotto", ["cooking"])
    items = (await client.get(f"/api/v1/videos/{lone}/up-next")).json()["items"]
    assert items and items[0]["reason_text"] == "Popular in #cooking"


async def test_visitors_and_new_users_get_popular_videos(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, site: Site
) -> None:
    newcomer = await sign_up(client, "nina")
    got = (await client.get("/api/v1/me/recommendations", headers=newcomer.headers)).json()
    assert got["personal"] is False
    assert got["rows"][0]["items"]
    assert (await client.get("/api/v1/me/recommendations")).status_code == 401


async def test_system_tags_come_from_title_owner_tags_and_length(
    client: httpx.AsyncClient, adapters: Adapters
) -> None:
    owner = await sign_up(client, "olga")
    made = await video(adapters, owner, "Baking sourdough bread at home", ["baking"], duration=95.0)
    from clipcast.recommendations import repository

    async with adapters.sessions() as session:
        tags = {t.tag: t.source.value for t in await repository.tag_rows(session, made)}
    assert tags["baking"] == "owner"
    assert tags["sourdough"] == "keyword"
    assert tags["under 5 min"] == "duration"
