"""Likes and dislikes of comments (through the activity API) in the comments' answers: the voter
sees their vote at once, others once the bus has carried it, and sort=top follows the votes."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from clipcast.bootstrap import Adapters
from tests.integration.activity.conftest import HandBus
from tests.integration.comments.conftest import listing, posted
from tests.integration.conftest import auth

pytestmark = pytest.mark.slow


async def vote(
    client: httpx.AsyncClient, token: str, video_id: str, comment_id: str, kind: str
) -> None:
    event = {
        "id": uuid.uuid4().hex,
        "type": kind,
        "video_id": video_id,
        "comment_id": comment_id,
        "ts": int(time.time() * 1000),
    }
    response = await client.post("/api/v1/activity", json={"events": [event]}, headers=auth(token))
    assert response.status_code == 202, response.text


def votes_of(page: dict[str, Any]) -> dict[str, tuple[int, int, str | None]]:
    every = [c for thread in page["items"] for c in [thread, *thread["replies"]]]
    return {c["body"]: (c["likes"], c["dislikes"], c["my_reaction"]) for c in every}


async def test_a_vote_shows_at_once_to_the_voter_and_to_others_once_carried(
    client: httpx.AsyncClient, bus: HandBus, alice: str, bob: str, video: str
) -> None:
    made = await posted(client, bob, video, "Vote on me")
    await vote(client, alice, video, made["id"], "comment_like")
    # The bus has not run: alice reads her own vote, bob and anonymous readers not yet.
    assert votes_of((await listing(client, video, alice)).json()) == {"Vote on me": (1, 0, "like")}
    assert votes_of((await listing(client, video, bob)).json()) == {"Vote on me": (0, 0, "none")}
    assert votes_of((await listing(client, video)).json()) == {"Vote on me": (0, 0, None)}
    await bus.drain()
    assert votes_of((await listing(client, video, bob)).json()) == {"Vote on me": (1, 0, "none")}
    assert votes_of((await listing(client, video)).json()) == {"Vote on me": (1, 0, None)}

    # Set-state: a dislike replaces the like, a clear removes it; each seen at once by alice.
    await vote(client, alice, video, made["id"], "comment_dislike")
    assert votes_of((await listing(client, video, alice)).json()) == {
        "Vote on me": (0, 1, "dislike")
    }
    await vote(client, alice, video, made["id"], "clear")
    assert votes_of((await listing(client, video, alice)).json()) == {"Vote on me": (0, 0, "none")}
    await bus.drain()
    assert votes_of((await listing(client, video)).json()) == {"Vote on me": (0, 0, None)}


async def test_votes_on_replies_show_under_their_thread(
    client: httpx.AsyncClient, bus: HandBus, alice: str, bob: str, video: str
) -> None:
    thread = await posted(client, alice, video, "Thread")
    reply = await posted(client, bob, video, "Reply", parent_id=thread["id"])
    await vote(client, alice, video, reply["id"], "comment_like")
    await bus.drain()
    assert votes_of((await listing(client, video)).json()) == {
        "Thread": (0, 0, None),
        "Reply": (1, 0, None),
    }
    replies = (await client.get(f"/api/v1/comments/{thread['id']}/replies")).json()
    assert [(r["body"], r["likes"]) for r in replies["items"]] == [("Reply", 1)]


async def test_top_puts_net_liked_threads_first_then_the_rest_newest_first(
    client: httpx.AsyncClient, bus: HandBus, alice: str, bob: str, video: str
) -> None:
    c1, c2, c3, c4 = [await posted(client, bob, video, name) for name in ("c1", "c2", "c3", "c4")]
    liked_reply = await posted(client, alice, video, "liked reply", parent_id=c4["id"])
    for token, comment, kind in [
        (alice, c1, "comment_like"),
        (alice, c2, "comment_like"),
        (bob, c2, "comment_like"),
        (alice, c3, "comment_dislike"),
        (alice, liked_reply, "comment_like"),
        (bob, liked_reply, "comment_like"),
        (bob, liked_reply, "comment_like"),
    ]:
        await vote(client, token, video, comment["id"], kind)
    await bus.drain()

    async def order(sort: str, **params: Any) -> list[str]:
        page = (await listing(client, video, sort=sort, **params)).json()
        return [c["body"] for c in page["items"]]

    # c2 (2 likes), c1 (1); then the unrated and the disliked, newest first. A reply, however
    # liked, stays under its thread.
    assert await order("top") == ["c2", "c1", "c4", "c3"]
    assert await order("newest") == ["c4", "c3", "c2", "c1"]
    assert await order("top", per_page=3) == ["c2", "c1", "c4"]
    assert await order("top", per_page=3, page=2) == ["c3"]
    assert await order("top", per_page=1, page=2) == ["c1"]

    # A removed thread leaves the popular order with it.
    assert (await client.delete(f"/api/v1/comments/{c2['id']}", headers=auth(bob))).is_success
    assert await order("top") == ["c1", "c4", "c3"]


async def test_a_removed_comment_leaves_the_counters_once_its_event_is_carried(
    client: httpx.AsyncClient, adapters: Adapters, bus: HandBus, alice: str, bob: str, video: str
) -> None:
    kept, gone = [await posted(client, bob, video, body) for body in ("kept", "gone")]
    for comment in (kept, gone):
        await vote(client, alice, video, comment["id"], "comment_like")
    await bus.drain()
    video_id = uuid.UUID(video)
    ranked = {c for c, _ in await adapters.counters.popular_comments(video_id, 0, 10)}
    assert ranked == {uuid.UUID(kept["id"]), uuid.UUID(gone["id"])}

    assert (await client.delete(f"/api/v1/comments/{gone['id']}", headers=auth(bob))).is_success
    await bus.deliver(await bus.take(["comment.deleted"]))
    ranked = {c for c, _ in await adapters.counters.popular_comments(video_id, 0, 10)}
    assert ranked == {uuid.UUID(kept["id"])}
    counts = await adapters.counters.comment_counts([uuid.UUID(gone["id"])])
    assert uuid.UUID(gone["id"]) not in counts or counts[uuid.UUID(gone["id"])].likes == 0
