"""Share groups over HTTP: the owner creates, renames, deletes and fills groups; members list
the groups they are in; another user's group id answers as a missing one, for every call."""

from __future__ import annotations

import uuid

import httpx

from tests.integration.conftest import auth
from tests.integration.groups.conftest import new_group


async def test_owner_creates_renames_and_deletes_a_group(
    client: httpx.AsyncClient, alice: str
) -> None:
    group = await new_group(client, alice, "  Family  ")
    assert (group["name"], group["members"]) == ("Family", [])
    renamed = await client.patch(
        f"/api/v1/groups/{group['id']}", json={"name": "Close family"}, headers=auth(alice)
    )
    assert renamed.json()["name"] == "Close family"
    await new_group(client, alice, "Band")
    listed = (await client.get("/api/v1/groups", headers=auth(alice))).json()["items"]
    assert [g["name"] for g in listed] == ["Band", "Close family"]
    gone = await client.delete(f"/api/v1/groups/{group['id']}", headers=auth(alice))
    assert gone.status_code == 204
    assert (await client.get(f"/api/v1/groups/{group['id']}", headers=auth(alice))).status_code == (
        404
    )


async def test_members_are_added_by_username_and_removed(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    group = await new_group(client, alice, "Friends", "bob", "BOB")  # twice: one membership
    assert [m["username"] for m in group["members"]] == ["bob"]
    joined = (await client.get("/api/v1/groups/joined", headers=auth(bob))).json()["items"]
    assert [(g["id"], g["name"], g["owner"]["username"]) for g in joined] == [
        (group["id"], "Friends", "alice")
    ]
    removed = await client.delete(f"/api/v1/groups/{group['id']}/members/bob", headers=auth(alice))
    assert removed.status_code == 204
    assert (await client.get("/api/v1/groups/joined", headers=auth(bob))).json()["items"] == []
    again = await client.delete(f"/api/v1/groups/{group['id']}/members/bob", headers=auth(alice))
    assert (again.status_code, again.json()["error"]["code"]) == (404, "member_not_found")


async def test_a_group_id_of_another_owner_answers_as_a_missing_one(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    group = await new_group(client, alice, "Mine", "bob")
    base = f"/api/v1/groups/{group['id']}"
    missing = f"/api/v1/groups/{uuid.uuid4()}"
    calls = [
        ("GET", "", None),
        ("PATCH", "", {"name": "Taken over"}),
        ("DELETE", "", None),
        ("POST", "/members", {"username": "bob"}),
        ("DELETE", "/members/bob", None),
    ]
    for method, tail, body in calls:
        for url in (base + tail, missing + tail):
            response = await client.request(method, url, json=body, headers=auth(bob))
            assert response.status_code == 404, (method, url, response.text)
            assert response.json()["error"]["code"] == "group_not_found"
    # Nothing changed: bob is still a member, the name stands.
    still = (await client.get(base, headers=auth(alice))).json()
    assert (still["name"], [m["username"] for m in still["members"]]) == ("Mine", ["bob"])
    assert (await client.get("/api/v1/groups", headers=auth(bob))).json()["items"] == []


async def test_bad_group_inputs_are_clear_errors(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    group = await new_group(client, alice, "Crew")
    cases = [
        ("POST", "/api/v1/groups", {"name": "   "}, 422, "bad_group_name"),
        ("POST", "/api/v1/groups", {"name": "x" * 101}, 422, "invalid_input"),
        ("POST", "/api/v1/groups", {"name": "Crew"}, 409, "group_name_taken"),
        ("POST", "/api/v1/groups", {"name": "Tab\there"}, 422, "bad_group_name"),
        (
            "POST",
            f"/api/v1/groups/{group['id']}/members",
            {"username": "nobody"},
            404,
            "user_not_found",
        ),
        (
            "POST",
            f"/api/v1/groups/{group['id']}/members",
            {"username": "alice"},
            422,
            "owner_not_a_member",
        ),
        ("GET", "/api/v1/groups/not-a-uuid", None, 422, "invalid_input"),
    ]
    for method, url, body, status, code in cases:
        response = await client.request(method, url, json=body, headers=auth(alice))
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), url
    # Another owner may use the same name: names are per owner.
    assert (
        await client.post("/api/v1/groups", json={"name": "Crew"}, headers=auth(bob))
    ).status_code == 201
    assert (await client.get("/api/v1/groups")).status_code == 401
