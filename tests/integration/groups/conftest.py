"""Fixtures of the share-group tests: a third user, groups, and ready videos written to SQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clipcast.accounts.models import User
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth


@pytest.fixture
async def carol(client: httpx.AsyncClient) -> str:
    await register(client, "carol", "carol's password")
    return await token_for(client, "carol", "carol's password")


async def new_group(
    client: httpx.AsyncClient, token: str, name: str, *members: str
) -> dict[str, Any]:
    created = await client.post("/api/v1/groups", json={"name": name}, headers=auth(token))
    assert created.status_code == 201, created.text
    group: dict[str, Any] = created.json()
    for username in members:
        added = await client.post(
            f"/api/v1/groups/{group['id']}/members",
            json={"username": username},
            headers=auth(token),
        )
        assert added.status_code == 200, added.text
        group = added.json()
    return group


async def ready_video(adapters: Adapters, owner: str, title: str = "A video") -> str:
    """A ready, public video row (no media): enough for metadata, listings and access."""
    now = utcnow()
    async with adapters.sessions() as session:
        owner_id = await session.scalar(select(User.id).where(User.username == owner))
        video = Video(
            id=uuid.uuid4(),
            owner_id=owner_id,
            created_at=now,
            updated_at=now,
            title=title,
            description="",
            state=VideoState.READY,
            progress=100,
            playable=False,
            visibility=Visibility.PUBLIC,
        )
        session.add(video)
        await session.commit()
    return str(video.id)


async def key_version(adapters: Adapters, video_id: str) -> int:
    async with adapters.sessions() as session:
        value = await session.scalar(
            select(Video.key_version).where(Video.id == uuid.UUID(video_id))
        )
    assert value is not None
    return value


async def share(
    client: httpx.AsyncClient, token: str, video_id: str, *group_ids: str
) -> httpx.Response:
    return await client.patch(
        f"/api/v1/videos/{video_id}",
        json={"visibility": "group", "groups": list(group_ids)},
        headers=auth(token),
    )
