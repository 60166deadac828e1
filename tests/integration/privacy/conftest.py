"""The privacy matrix's world, built once per module on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.integration.privacy.world import World, database, running_world
from tests.media import make_video
from tests.services import POSTGRES_HOST, POSTGRES_PORT, reachable, require


@pytest.fixture(scope="session")
def matrix_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s at 320x240: two clips, a poster and a storyboard."""
    return make_video(
        tmp_path_factory.mktemp("privacy-media") / "matrix.mp4", seconds=3, size="320x240"
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgres"])
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, matrix_video: Path
) -> AsyncIterator[World]:
    kind: str = request.param
    if kind == "postgres":
        require(reachable(POSTGRES_HOST, POSTGRES_PORT), "PostgreSQL at 127.0.0.1:5432")
    tmp = tmp_path_factory.mktemp(f"privacy-{kind}")
    async with database(kind, tmp) as url, running_world(url, tmp, matrix_video) as built:
        yield built
