"""Fixtures shared by integration tests: two signed-up users with bearer tokens."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api.test_accounts import register, token_for


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
