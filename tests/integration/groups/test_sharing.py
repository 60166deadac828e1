"""Videos shared with groups: set on upload and on edit with the owner's own groups only;
members see them, others do not; removing a member or deleting a group revokes tokens."""

from __future__ import annotations

import uuid

import httpx

from clipcast.bootstrap import Adapters
from tests.integration.api import tus_helpers as tus
from tests.integration.conftest import auth
from tests.integration.groups.conftest import key_version, new_group, ready_video, share


async def listed(client: httpx.AsyncClient, token: str | None) -> set[str]:
    headers = auth(token) if token else {}
    items = (await client.get("/api/v1/videos", headers=headers)).json()["items"]
    return {v["id"] for v in items}


async def test_members_see_a_group_video_and_nobody_else(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, carol: str
) -> None:
    group = await new_group(client, alice, "Friends", "bob")
    video = await ready_video(adapters, "alice")
    shared = await share(client, alice, video, group["id"])
    assert shared.status_code == 200, shared.text
    assert (shared.json()["visibility"], shared.json()["groups"]) == ("group", [group["id"]])
    as_bob = await client.get(f"/api/v1/videos/{video}", headers=auth(bob))
    assert as_bob.status_code == 200
    assert as_bob.json()["groups"] == []  # which groups: the owner's business
    for headers in (auth(carol), {}):
        assert (await client.get(f"/api/v1/videos/{video}", headers=headers)).status_code == 404
    assert video in await listed(client, bob)
    assert video not in await listed(client, carol)
    assert video not in await listed(client, None)


async def test_only_the_owners_own_groups_may_be_used(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str
) -> None:
    bobs = await new_group(client, bob, "Bob's", "alice")
    mine = await new_group(client, alice, "Alice's")
    video = await ready_video(adapters, "alice")
    cases = [
        ({"visibility": "group", "groups": [bobs["id"]]}, "group_not_found"),
        ({"visibility": "group", "groups": [mine["id"], str(uuid.uuid4())]}, "group_not_found"),
        ({"visibility": "group"}, "no_groups"),
        ({"visibility": "group", "groups": []}, "no_groups"),
        ({"visibility": "private", "groups": [mine["id"]]}, "groups_without_group"),
        ({"groups": [mine["id"]]}, "groups_without_group"),  # the video is public
        ({"visibility": "group", "groups": ["nope"]}, "invalid_input"),
    ]
    for body, code in cases:
        response = await client.patch(f"/api/v1/videos/{video}", json=body, headers=auth(alice))
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), body
    after = (await client.get(f"/api/v1/videos/{video}", headers=auth(alice))).json()
    assert (after["visibility"], after["groups"]) == ("public", [])


async def test_upload_with_groups_in_tus_metadata(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    first = await new_group(client, alice, "One", "bob")
    second = await new_group(client, alice, "Two")
    bobs = await new_group(client, bob, "Bob's")
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(100)
    video = await tus.upload_bytes(
        client, alice, data, visibility="group", groups=f"{first['id']}, {second['id']}"
    )
    body = (await client.get(f"/api/v1/videos/{video}", headers=auth(alice))).json()
    assert (body["visibility"], body["groups"]) == ("group", sorted([first["id"], second["id"]]))
    assert (await client.get(f"/api/v1/videos/{video}", headers=auth(bob))).status_code == 200
    refused = [
        ({"visibility": "group", "groups": bobs["id"]}, "group_not_found"),
        ({"visibility": "group"}, "no_groups"),
        ({"visibility": "group", "groups": "12,abc"}, "bad_group_id"),
        ({"visibility": "public", "groups": first["id"]}, "groups_without_group"),
    ]
    for meta, code in refused:
        response = await tus.create(client, alice, len(data), **meta)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), meta
    mine = (await client.get("/api/v1/videos", params={"mine": "true"}, headers=auth(alice))).json()
    assert mine["total"] == 1  # refused uploads left no video behind


async def test_narrowing_the_audience_moves_the_key_version_on(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, carol: str
) -> None:
    one = await new_group(client, alice, "One", "bob")
    two = await new_group(client, alice, "Two", "carol")
    video = await ready_video(adapters, "alice")
    steps = [  # (patch, key version moves on?)
        ({"visibility": "unlisted"}, False),  # anyone with a link, as public
        ({"visibility": "group", "groups": [one["id"], two["id"]]}, True),
        ({"groups": [one["id"], two["id"]]}, False),  # no change
        ({"groups": [one["id"]]}, True),  # carol's group dropped
        ({"groups": [one["id"], two["id"]]}, False),  # widened
        ({"visibility": "private"}, True),
        ({"visibility": "group", "groups": [two["id"]]}, False),  # private -> a group: wider
        ({"visibility": "public"}, False),
        ({"title": "Only the title"}, False),
    ]
    for patch, moves in steps:
        before = await key_version(adapters, video)
        response = await client.patch(f"/api/v1/videos/{video}", json=patch, headers=auth(alice))
        assert response.status_code == 200, response.text
        assert (await key_version(adapters, video) > before) is moves, patch


async def test_removing_a_member_revokes_and_hides_at_once(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, carol: str
) -> None:
    group = await new_group(client, alice, "Friends", "bob", "carol")
    video = await ready_video(adapters, "alice")
    other = await ready_video(adapters, "alice", "Not shared with the group")
    assert (await share(client, alice, video, group["id"])).status_code == 200
    before, untouched = await key_version(adapters, video), await key_version(adapters, other)
    removed = await client.delete(
        f"/api/v1/groups/{group['id']}/members/carol", headers=auth(alice)
    )
    assert removed.status_code == 204
    assert await key_version(adapters, video) == before + 1
    assert await key_version(adapters, other) == untouched
    assert (await client.get(f"/api/v1/videos/{video}", headers=auth(carol))).status_code == 404
    assert (await client.get(f"/api/v1/videos/{video}", headers=auth(bob))).status_code == 200


async def test_deleting_a_group_leaves_a_video_with_no_group_private(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, carol: str
) -> None:
    one = await new_group(client, alice, "One", "bob")
    two = await new_group(client, alice, "Two", "carol")
    only_one = await ready_video(adapters, "alice", "Only one")
    both = await ready_video(adapters, "alice", "Both")
    assert (await share(client, alice, only_one, one["id"])).status_code == 200
    assert (await share(client, alice, both, one["id"], two["id"])).status_code == 200
    versions = {v: await key_version(adapters, v) for v in (only_one, both)}
    assert (
        await client.delete(f"/api/v1/groups/{one['id']}", headers=auth(alice))
    ).status_code == (204)
    for video in (only_one, both):
        assert await key_version(adapters, video) == versions[video] + 1
        assert (await client.get(f"/api/v1/videos/{video}", headers=auth(bob))).status_code == 404
    lonely = (await client.get(f"/api/v1/videos/{only_one}", headers=auth(alice))).json()
    assert (lonely["visibility"], lonely["groups"]) == ("private", [])
    still = (await client.get(f"/api/v1/videos/{both}", headers=auth(alice))).json()
    assert (still["visibility"], still["groups"]) == ("group", [two["id"]])
    assert (await client.get(f"/api/v1/videos/{both}", headers=auth(carol))).status_code == 200
