"""Scaled mode: two API processes on one PostgreSQL (or SQLite file) and one Redis; a chat
message posted on one reaches a socket held by the other."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from clipcast.bootstrap import build_adapters
from clipcast.settings import Settings
from tests.integration.live.test_chat_socket import (  # noqa: F401 - fixtures, by their names
    REDIS_HOST,
    REDIS_PORT,
    at,
    chat,
    http_fixture,
    live_fixture,
    server_fixture,
    serving,
)
from tests.services import reachable, require


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    require(reachable(REDIS_HOST, REDIS_PORT), f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        redis_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
    )


async def test_a_message_posted_on_one_process_reaches_a_socket_on_another(
    settings: Settings, server: str, live: dict[str, Any]
) -> None:
    second = build_adapters(settings)  # another API process on the same SQL and Redis
    try:
        async with (
            serving(second) as other,
            chat(other, live["id"]) as far,
            chat(server, live["id"], live["bob"]) as bob,
        ):
            sent = (await bob.post("across", at(live["id"], 2, 1.0)))["message"]
            assert await far.message("across") == sent
            # …and a post on the far process is placed by the same edge and fanned back.
            async with chat(other, live["id"], live["alice"]) as streamer:
                back = (await streamer.post("back"))["message"]
            assert await bob.message("back") == back
    finally:
        await second.close()
