"""Search finds a group video for its groups' members only, in results and suggestions; a
member removed from the group stops finding it at once, before any re-index."""

from __future__ import annotations

import uuid

import httpx

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.search import handlers
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth
from tests.integration.groups.conftest import new_group, ready_video, share


async def reindex(adapters: Adapters, video_id: str) -> None:
    """What the search node does with the `video.updated` event of an edit."""
    event = Event(uuid.uuid4(), "video.updated", {"video_id": video_id}, utcnow())
    await handlers.handle(event, sessions=adapters.sessions, index=adapters.search)


async def found(client: httpx.AsyncClient, token: str | None, q: str) -> tuple[set[str], list[str]]:
    headers = auth(token) if token else {}
    results = (await client.get("/api/v1/search", params={"q": q}, headers=headers)).json()
    suggest = (
        await client.get("/api/v1/search/suggest", params={"q": q[:5]}, headers=headers)
    ).json()
    return {item["id"] for item in results["items"]}, suggest["suggestions"]


async def test_group_video_is_found_by_members_only(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, carol: str
) -> None:
    group = await new_group(client, alice, "Friends", "bob", "carol")
    video = await ready_video(adapters, "alice", "Zanzibar holiday")
    assert (await share(client, alice, video, group["id"])).status_code == 200
    await reindex(adapters, video)
    for token in (alice, bob, carol):
        ids, titles = await found(client, token, "zanzibar")
        assert video in ids
        assert "Zanzibar holiday" in titles
    await register(client, "dave", "dave's password")
    dave = await token_for(client, "dave", "dave's password")
    for outsider in (dave, None):  # signed in but in no group of alice's; anonymous
        assert await found(client, outsider, "zanzibar") == (set(), [])
    removed = await client.delete(
        f"/api/v1/groups/{group['id']}/members/carol", headers=auth(alice)
    )
    assert removed.status_code == 204
    assert await found(client, carol, "zanzibar") == (set(), [])  # no re-index yet
    assert video in (await found(client, bob, "zanzibar"))[0]


async def test_a_group_video_made_private_leaves_members_results(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str
) -> None:
    group = await new_group(client, alice, "Friends", "bob")
    video = await ready_video(adapters, "alice", "Quokka selfies")
    assert (await share(client, alice, video, group["id"])).status_code == 200
    await reindex(adapters, video)
    assert video in (await found(client, bob, "quokka"))[0]
    made_private = await client.patch(
        f"/api/v1/videos/{video}", json={"visibility": "private"}, headers=auth(alice)
    )
    assert made_private.status_code == 200
    await reindex(adapters, video)
    assert await found(client, bob, "quokka") == (set(), [])
    assert video in (await found(client, alice, "quokka"))[0]
