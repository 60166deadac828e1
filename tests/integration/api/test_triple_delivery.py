"""Every event delivered three times leaves the same final state as once (thumbnails, index)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.outbox.models import OutboxEvent
from clipcast.search.handlers import handle as search_handle
from clipcast.thumbnails.handlers import handle_video_ready
from tests.integration.api.flow import upload_and_process
from tests.integration.conftest import auth

pytestmark = pytest.mark.slow


async def _events(adapters: Adapters, video_id: str) -> list[Event]:
    """The outbox rows of this video, as the bus would deliver them."""
    async with adapters.sessions() as session:
        rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
        return [
            Event(id=r.id, topic=r.topic, payload=r.payload, created_at=r.created_at)
            for r in rows
            if r.payload.get("video_id") == video_id
        ]


async def _deliver(adapters: Adapters, events: list[Event], times: int) -> None:
    for _ in range(times):
        for event in events:
            if event.topic == "video.ready":
                await handle_video_ready(
                    event,
                    sessions=adapters.sessions,
                    storage=adapters.storage,
                    settings=adapters.settings,
                )
            await search_handle(event, sessions=adapters.sessions, index=adapters.search)


async def _state(client: httpx.AsyncClient, adapters: Adapters, token: str, video_id: str) -> Any:
    video = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(token))).json()
    hits = (await client.get("/api/v1/search", params={"q": "Lighthouse"})).json()["items"]
    objects = await adapters.storage.list_keys(f"videos/{video_id}/thumbs/")
    return video["thumbnails"], [h["id"] for h in hits], objects


async def test_three_deliveries_equal_one(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, small_video: Path
) -> None:
    first = await upload_and_process(client, adapters, alice, small_video, title="Lighthouse one")
    second = await upload_and_process(client, adapters, alice, small_video, title="Lighthouse two")
    await client.patch(
        f"/api/v1/videos/{second}", json={"title": "Lighthouse renamed"}, headers=auth(alice)
    )

    await _deliver(adapters, await _events(adapters, first), times=1)
    once = await _state(client, adapters, alice, first)
    await _deliver(adapters, await _events(adapters, second), times=3)
    await _deliver(adapters, await _events(adapters, first), times=2)  # now 3 in all
    thrice = await _state(client, adapters, alice, first)

    assert once[0]["poster"] is not None
    assert thrice[0] == once[0]
    assert thrice[2] == once[2]
    assert sorted(thrice[1]) == sorted([first, second])
    assert len(thrice[1]) == 2
    assert once[1] == [first]
