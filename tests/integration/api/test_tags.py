"""Tags from upload metadata and edits, shown on the video and usable as a search filter."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.core.ids import new_id
from clipcast.search.handlers import handle as search_handle
from clipcast.videos.models import Video
from tests.integration.api import tus_helpers as tus
from tests.integration.conftest import auth


async def test_tags_from_metadata_then_edited(client: httpx.AsyncClient, alice: str) -> None:
    created = await tus.create(client, alice, 10, tags="Cooking, #Pasta")
    video_id = created.headers["location"].rsplit("/", 1)[-1]
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert body["tags"] == ["cooking", "pasta"]
    edited = await client.patch(
        f"/api/v1/videos/{video_id}", json={"tags": ["Baking", "bread"]}, headers=auth(alice)
    )
    assert edited.json()["tags"] == ["baking", "bread"]
    bad = await client.patch(
        f"/api/v1/videos/{video_id}", json={"tags": ["<b>"]}, headers=auth(alice)
    )
    assert bad.status_code == 422


async def test_search_filters_by_tag(
    client: httpx.AsyncClient, adapters: Adapters, alice: str
) -> None:
    me = (await client.get("/api/v1/auth/me", headers=auth(alice))).json()
    now = utcnow()
    ids = []
    async with adapters.sessions() as session:
        for title, tags in (("Sourdough at home", ["bread"]), ("Sourdough starter", ["science"])):
            video = Video(
                id=new_id(),
                owner_id=uuid.UUID(me["id"]),
                created_at=now,
                updated_at=now,
                title=title,
                description="",
                state="ready",
                visibility="public",
                tags=tags,
                thumbnails={},
                duration=10.0,
            )
            session.add(video)
            ids.append(str(video.id))
        await session.commit()
        assert len(list(await session.scalars(select(Video)))) == 2
    for video_id in ids:
        event = Event(
            id=new_id(), topic="video.ready", payload={"video_id": video_id}, created_at=now
        )
        await search_handle(event, sessions=adapters.sessions, index=adapters.search)
    both = (await client.get("/api/v1/search", params={"q": "sourdough"})).json()
    assert sorted(h["id"] for h in both["items"]) == sorted(ids)
    bread = (await client.get("/api/v1/search", params={"q": "sourdough", "tags": "bread"})).json()
    assert [h["id"] for h in bread["items"]] == [ids[0]]
