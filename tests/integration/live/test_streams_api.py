"""The streams API: a stream is a live video found at once; its key, its owner, `current`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.errors import Unauthorized
from clipcast.live import service
from clipcast.outbox.models import OutboxEvent
from clipcast.search.handlers import handle as index_event
from tests.integration.conftest import auth
from tests.integration.live.conftest import create_stream


async def test_a_new_stream_is_a_live_video_with_a_key_shown_once(
    client: httpx.AsyncClient, alice: str, stream: dict[str, Any]
) -> None:
    assert stream["state"] == "live"
    assert stream["feed"] == "waiting"
    assert stream["stream_key"].startswith("live_")
    assert stream["ingest"]["websocket"].endswith(f"/api/v1/streams/{stream['id']}/ingest")
    again = (await client.get(f"/api/v1/streams/{stream['id']}", headers=auth(alice))).json()
    assert again["stream_key"] is None
    video = (await client.get(f"/api/v1/videos/{stream['id']}")).json()
    assert (video["state"], video["title"], video["tags"]) == ("live", "Live from the lab", ["lab"])


async def test_a_live_stream_is_listed_and_found_at_once(
    client: httpx.AsyncClient, adapters: Adapters, stream: dict[str, Any]
) -> None:
    listed = (await client.get("/api/v1/videos")).json()["items"]
    assert [(v["id"], v["state"]) for v in listed] == [(stream["id"], "live")]
    async with adapters.sessions() as session:  # what the relay hands the search node
        (row,) = await session.scalars(select(OutboxEvent))
    assert (row.topic, row.payload["video_id"]) == ("video.updated", stream["id"])
    event = Event(id=row.id, topic=row.topic, payload=row.payload, created_at=row.created_at)
    await index_event(event, sessions=adapters.sessions, index=adapters.search)
    found = (await client.get("/api/v1/search", params={"q": "lab"})).json()["items"]
    assert [(v["id"], v["live"]) for v in found] == [(stream["id"], True)]


async def test_the_stream_is_its_owners_alone(
    client: httpx.AsyncClient, bob: str, stream: dict[str, Any]
) -> None:
    for call in (
        client.get(f"/api/v1/streams/{stream['id']}", headers=auth(bob)),
        client.post(f"/api/v1/streams/{stream['id']}/key", headers=auth(bob)),
        client.post(f"/api/v1/streams/{stream['id']}/end", headers=auth(bob)),
    ):
        response = await call
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "stream_not_found"


async def test_a_rotated_key_replaces_the_old_one(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, stream: dict[str, Any]
) -> None:
    rotated = await client.post(f"/api/v1/streams/{stream['id']}/key", headers=auth(alice))
    new_key = rotated.json()["stream_key"]
    assert new_key != stream["stream_key"]
    video_id = uuid.UUID(stream["id"])
    ticket = await service.authorize_feed(
        sessions=adapters.sessions, video_id=video_id, key=new_key, user_id=None
    )
    assert ticket.video_id == video_id
    with pytest.raises(Unauthorized):
        await service.authorize_feed(
            sessions=adapters.sessions, video_id=video_id, key=stream["stream_key"], user_id=None
        )


async def test_the_key_of_another_stream_opens_nothing_else(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, stream: dict[str, Any]
) -> None:
    other = await create_stream(client, alice, title="Another")
    with pytest.raises(Unauthorized, match="Not a stream key"):
        await service.authorize_feed(
            sessions=adapters.sessions,
            video_id=uuid.UUID(stream["id"]),
            key=other["stream_key"],
            user_id=None,
        )


async def test_before_its_first_clip_current_names_the_first_documents_url(
    client: httpx.AsyncClient, stream: dict[str, Any]
) -> None:
    response = await client.get(f"/api/v1/streams/{stream['id']}/current")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["index"] == 0
    assert body["document"].endswith(f"/cdn/videos/{stream['id']}/live/000000.json")
    missing = await client.get(body["document"])
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == "no-store"  # no edge may keep this 404


async def test_a_private_stream_hands_its_owner_a_signed_document_url(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    private = await create_stream(client, alice, visibility="private")
    mine = await client.get(f"/api/v1/streams/{private['id']}/current", headers=auth(alice))
    assert "/cdn/s/" in mine.json()["document"]
    theirs = await client.get(f"/api/v1/streams/{private['id']}/current", headers=auth(bob))
    assert theirs.status_code == 404
    anonymous = await client.get(f"/api/v1/streams/{private['id']}/current")
    assert anonymous.status_code == 404


async def test_current_of_a_video_that_is_not_a_stream_is_a_404(
    client: httpx.AsyncClient, alice: str
) -> None:
    response = await client.get(f"/api/v1/streams/{uuid.uuid4()}/current", headers=auth(alice))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_input"),
        ({"title": ""}, "invalid_input"),
        ({"title": "x" * 201}, "invalid_input"),
        ({"title": "ok", "visibility": "sideways"}, "invalid_input"),
        ({"title": "ok", "tags": ["<b>"]}, "bad_tag"),
        ({"title": "ok", "visibility": "group"}, "no_groups"),
        ({"title": "ok", "groups": [str(uuid.uuid4())]}, "groups_without_group"),
    ],
)
async def test_bad_stream_metadata_is_refused_with_a_reason(
    client: httpx.AsyncClient, alice: str, body: dict[str, Any], code: str
) -> None:
    response = await client.post("/api/v1/streams", json=body, headers=auth(alice))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


async def test_streaming_needs_an_account(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/streams", json={"title": "anon"})
    assert response.status_code == 401
