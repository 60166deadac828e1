"""Fixtures for activity: people, videos made as rows (no transcoding needed to watch them),
and a hand-driven bus that can deliver the outbox's batches late, twice or out of order."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clipcast.activity import handlers
from clipcast.activity.partitions import LogPartitions
from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.outbox.models import OutboxEvent
from clipcast.videos.models import Video
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth


@dataclass(frozen=True)
class Person:
    name: str
    token: str
    id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)


async def sign_up(client: httpx.AsyncClient, name: str) -> Person:
    await register(client, name, f"{name}'s password")
    token = await token_for(client, name, f"{name}'s password")
    me = await client.get("/api/v1/auth/me", headers=auth(token))
    return Person(name, token, uuid.UUID(me.json()["id"]))


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "olga")


@pytest.fixture
async def viewer(client: httpx.AsyncClient) -> Person:
    return await sign_up(client, "victor")


async def make_video(
    adapters: Adapters,
    owner: Person,
    *,
    visibility: str = "public",
    duration: float = 9.0,
    tags: Sequence[str] = (),
    title: str = "A video",
) -> uuid.UUID:
    """A ready, playable video row (activity never looks at its media)."""
    video_id, now = uuid.uuid4(), utcnow()
    async with adapters.sessions() as session, session.begin():
        session.add(
            Video(
                id=video_id,
                owner_id=owner.id,
                created_at=now,
                updated_at=now,
                title=title,
                description="",
                filename="v.mp4",
                duration=duration,
                state="ready",
                progress=100,
                playable=True,
                visibility=visibility,
                tags=list(tags),
                thumbnails={},
            )
        )
    return video_id


def now_ms() -> int:
    return int(time.time() * 1000)


def clip_views(
    video: uuid.UUID, clips: Sequence[int], *, prefix: str = "c"
) -> list[dict[str, Any]]:
    ts = now_ms()
    return [
        {"id": f"{prefix}{i}", "type": "clip_view", "video_id": str(video), "clip": clip,
         "resolution": 240, "ts": ts + i}
        for i, clip in enumerate(clips)
    ]  # fmt: skip


def reaction(
    video: uuid.UUID, kind: str, event_id: str, *, ts: int | None = None
) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "video_id": str(video), "ts": ts or now_ms()}


async def post(
    client: httpx.AsyncClient, events: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/api/v1/activity", json={"events": events}, headers=headers or {})


async def stats(
    client: httpx.AsyncClient, video: uuid.UUID, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.get(f"/api/v1/videos/{video}/stats", headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class HandBus:
    """Takes the activity batches from the outbox and delivers them when a test says so."""

    adapters: Adapters
    taken: int = 0
    partitions: LogPartitions = field(default_factory=LogPartitions)

    async def take(self, topics: Sequence[str] = ("activity.batch",)) -> list[Event]:
        """The events of `topics` committed since the last take, as the bus would carry them."""
        async with self.adapters.sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.seq > self.taken, OutboxEvent.topic.in_(topics))
                    .order_by(OutboxEvent.seq)
                )
            ).all()
        if rows:
            self.taken = rows[-1].seq
        return [Event(r.id, r.topic, r.payload, r.created_at) for r in rows]

    async def deliver(self, events: list[Event]) -> None:
        failed = await handlers.handle(
            events,
            sessions=self.adapters.sessions,
            counters=self.adapters.counters,
            partitions=self.partitions,
            clip_seconds=self.adapters.settings.clip_seconds,
        )
        assert not failed

    async def drain(self) -> None:
        await self.deliver(await self.take())


@pytest.fixture
def bus(adapters: Adapters) -> HandBus:
    return HandBus(adapters)
