"""Comments over HTTP on SQLite and PostgreSQL: threads, replies, edits, removal, permissions."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from clipcast.bootstrap import Adapters
from clipcast.outbox.models import OutboxEvent
from tests.integration.api import tus_helpers as tus
from tests.integration.comments.conftest import listing, post, posted
from tests.integration.conftest import auth

pytestmark = pytest.mark.slow


async def test_a_comment_shows_at_once_to_its_author_and_to_everyone(
    client: httpx.AsyncClient, alice: str, bob: str, ready_video: str
) -> None:
    video = ready_video
    made = await posted(client, bob, video, "First!")
    assert made["author"]["username"] == "bob"
    assert made["body"] == "First!"
    assert (made["likes"], made["dislikes"], made["reply_count"]) == (0, 0, 0)
    for token in (bob, alice, None):
        page = (await listing(client, video, token, sort="newest")).json()
        assert (page["total"], page["threads"]) == (1, 1)
        assert [c["id"] for c in page["items"]] == [made["id"]]
    mine = (await listing(client, video, bob)).json()["items"][0]
    assert (mine["can_edit"], mine["can_delete"]) == (True, True)
    owners = (await listing(client, video, alice)).json()["items"][0]
    assert (owners["can_edit"], owners["can_delete"]) == (False, True)
    anonymous = (await listing(client, video)).json()["items"][0]
    assert (anonymous["can_edit"], anonymous["can_delete"]) == (False, False)


async def test_only_signed_in_users_post(client: httpx.AsyncClient, video: str) -> None:
    response = await client.post(f"/api/v1/videos/{video}/comments", json={"body": "hi"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "login_required"
    assert (await listing(client, video)).json()["total"] == 0


async def test_replies_sit_under_their_thread_and_a_reply_to_a_reply_joins_it(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    thread = await posted(client, alice, video, "What do you think?")
    first = await posted(client, bob, video, "Nice.", parent_id=thread["id"])
    second = await posted(client, alice, video, "Thanks!", parent_id=first["id"])
    assert first["parent_id"] == second["parent_id"] == thread["id"]
    page = (await listing(client, video, sort="newest")).json()
    assert (page["total"], page["threads"]) == (3, 1)
    [shown] = page["items"]
    assert shown["reply_count"] == 2
    assert [r["body"] for r in shown["replies"]] == ["Nice.", "Thanks!"]
    replies = (await client.get(f"/api/v1/comments/{thread['id']}/replies")).json()
    assert replies["total"] == 2
    assert [r["id"] for r in replies["items"]] == [first["id"], second["id"]]
    assert (await client.get(f"/api/v1/comments/{first['id']}/replies")).status_code == 422


async def test_many_replies_show_the_first_few_and_page_through_the_rest(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    thread = await posted(client, alice, video, "Count with me")
    for n in range(5):
        await posted(client, bob if n < 4 else alice, video, f"{n}", parent_id=thread["id"])
    [shown] = (await listing(client, video)).json()["items"]
    assert shown["reply_count"] == 5
    assert [r["body"] for r in shown["replies"]] == ["0", "1", "2"]
    rest = await client.get(
        f"/api/v1/comments/{thread['id']}/replies", params={"page": 2, "per_page": 3}
    )
    assert [r["body"] for r in rest.json()["items"]] == ["3", "4"]


async def test_a_reply_to_a_comment_of_another_video_is_refused(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    elsewhere = await posted(client, alice, video, "here")
    other = await tus.upload_bytes(client, bob, b"not yet processed", title="Other")
    response = await post(client, bob, other, "there", parent_id=elsewhere["id"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "comment_not_found"


async def test_the_author_edits_and_nobody_else_does(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    made = await posted(client, bob, video, "Typo hree")
    assert made["edited_at"] is None
    url = f"/api/v1/comments/{made['id']}"
    refused = await client.patch(url, json={"body": "Hijacked"}, headers=auth(alice))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_comment_author"
    edited = await client.patch(url, json={"body": "Typo here"}, headers=auth(bob))
    assert edited.status_code == 200
    assert edited.json()["edited_at"] is not None
    [shown] = (await listing(client, video)).json()["items"]
    assert shown["body"] == "Typo here"
    assert shown["edited_at"] is not None
    assert (await client.patch(url, json={"body": "x"})).status_code == 401


async def test_the_author_or_the_video_owner_removes_a_comment_and_others_cannot(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    await client.post("/api/v1/auth/register", json={"username": "carol", "password": "pw-carol1"})
    carol = (
        await client.post("/api/v1/auth/token", json={"username": "carol", "password": "pw-carol1"})
    ).json()["access_token"]
    by_bob = await posted(client, bob, video, "bob's")
    by_carol = await posted(client, carol, video, "carol's")
    forbidden = await client.delete(f"/api/v1/comments/{by_carol['id']}", headers=auth(bob))
    assert forbidden.status_code == 403
    own = await client.delete(f"/api/v1/comments/{by_bob['id']}", headers=auth(bob))
    assert own.status_code == 204
    moderated = await client.delete(f"/api/v1/comments/{by_carol['id']}", headers=auth(alice))
    assert moderated.status_code == 204
    assert (await listing(client, video)).json()["total"] == 0
    again = await client.delete(f"/api/v1/comments/{by_bob['id']}", headers=auth(bob))
    assert again.status_code == 404


async def test_removing_a_thread_removes_its_replies_and_announces_each(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, video: str
) -> None:
    thread = await posted(client, bob, video, "thread")
    reply = await posted(client, alice, video, "reply", parent_id=thread["id"])
    kept = await posted(client, alice, video, "kept")
    assert (await client.delete(f"/api/v1/comments/{thread['id']}", headers=auth(bob))).is_success
    page = (await listing(client, video)).json()
    assert (page["total"], [c["id"] for c in page["items"]]) == (1, [kept["id"]])
    async with adapters.sessions() as session:
        events = list(
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.topic.like("comment.%"))
                .order_by(OutboxEvent.seq)
            )
        )
    created = [e.payload["comment_id"] for e in events if e.topic == "comment.created"]
    deleted = {e.payload["comment_id"]: e.payload for e in events if e.topic == "comment.deleted"}
    assert created == [thread["id"], reply["id"], kept["id"]]
    assert set(deleted) == {thread["id"], reply["id"]}
    assert deleted[reply["id"]]["parent_id"] == thread["id"]
    assert {p["video_id"] for p in deleted.values()} == {video}
    assert {p["removed_by"] for p in deleted.values()} == {"author"}


async def test_comments_of_a_private_video_are_as_hidden_as_the_video(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    made = await posted(client, bob, video, "said while it was public")
    patched = await client.patch(
        f"/api/v1/videos/{video}", json={"visibility": "private"}, headers=auth(alice)
    )
    assert patched.status_code == 200
    for token in (bob, None):
        assert (await listing(client, video, token)).status_code == 404
        replies = await client.get(
            f"/api/v1/comments/{made['id']}/replies", headers=auth(token) if token else {}
        )
        assert replies.status_code == 404
    assert (await post(client, bob, video, "still here?")).status_code == 404
    edit = await client.patch(
        f"/api/v1/comments/{made['id']}", json={"body": "let me in"}, headers=auth(bob)
    )
    assert edit.status_code == 404
    assert (
        await client.delete(f"/api/v1/comments/{made['id']}", headers=auth(bob))
    ).status_code == 404
    assert (await listing(client, video, alice)).json()["total"] == 1
