"""Fixtures of the comments tests: a ready public video of alice's, and helpers to post."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast.bootstrap import Adapters
from tests.integration.activity.conftest import HandBus
from tests.integration.api import tus_helpers as tus
from tests.integration.api.flow import upload_and_process
from tests.integration.conftest import auth
from tests.media import make_video


@pytest.fixture(scope="session")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("comments-media") / "tiny.mp4", seconds=2, size="160x120", fps=10
    )


@pytest.fixture
async def video(client: httpx.AsyncClient, alice: str, tiny_video: Path) -> str:
    """A public video of alice's, uploaded; comments need no transcoding, so none runs."""
    return await tus.upload_bytes(client, alice, tiny_video.read_bytes(), title="Talk about it")


@pytest.fixture
async def ready_video(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, tiny_video: Path
) -> str:
    """A public video of alice's, transcoded and ready to play."""
    return await upload_and_process(client, adapters, alice, tiny_video, title="Watch me")


async def post(
    client: httpx.AsyncClient, token: str, video_id: str, body: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/videos/{video_id}/comments", json={"body": body, **extra}, headers=auth(token)
    )


async def posted(
    client: httpx.AsyncClient, token: str, video_id: str, body: str, **extra: Any
) -> dict[str, Any]:
    response = await post(client, token, video_id, body, **extra)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def listing(
    client: httpx.AsyncClient, video_id: str, token: str | None = None, **params: Any
) -> httpx.Response:
    headers = auth(token) if token else {}
    return await client.get(f"/api/v1/videos/{video_id}/comments", params=params, headers=headers)


@pytest.fixture
def bus(adapters: Adapters) -> HandBus:
    """Carries the activity batches (votes) from the outbox to the counters when told."""
    return HandBus(adapters)
