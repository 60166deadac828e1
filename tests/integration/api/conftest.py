"""Fixtures for API tests: users with tokens, a tiny source video made once per session."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.api.test_accounts import register, token_for
from tests.media import make_video


@pytest.fixture(scope="session")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(
        tmp_path_factory.mktemp("media") / "small.mp4", seconds=3, size="426x240", fps=25
    )


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> str:
    await register(client, "alice", "alice's password")
    return await token_for(client, "alice", "alice's password")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> str:
    await register(client, "bob", "bob's password")
    return await token_for(client, "bob", "bob's password")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
