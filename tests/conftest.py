"""Fixtures shared by every test: settings in a temp dir, databases, the app over ASGI."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clipcast.bootstrap import Adapters, build_adapters
from clipcast.db.migrate import upgrade
from clipcast.db.models import metadata
from clipcast.settings import Settings
from clipcast.web.app import create_app
from tests.seaweedfs import SeaweedFS, seaweedfs_fixture
from tests.services import POSTGRES_ADMIN_URL, POSTGRES_HOST, POSTGRES_PORT, reachable, require

# One SeaweedFS (real S3) per test session, started on first use.
seaweedfs = seaweedfs_fixture()


@pytest.fixture(scope="session")
def seaweedfs_s3_url(seaweedfs: SeaweedFS) -> str:
    return seaweedfs.s3_url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own for this test session, migrated from zero."""
    require(reachable(POSTGRES_HOST, POSTGRES_PORT), "PostgreSQL at 127.0.0.1:5432")
    name = f"clipcast_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(sql: str) -> None:
        engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(sql))
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'clipcast.db'}"
        upgrade(url)
        return url
    pg_url: str = request.getfixturevalue("database_url_postgres")
    return pg_url


@pytest.fixture
def database_url_postgres(postgres_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    asyncio.run(_truncate_all(postgres_url))
    return postgres_url


async def _truncate_all(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {names} CASCADE"))
    await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        ladder=[360, 240],
        ffmpeg_stall_seconds=30,
        worker_poll_seconds=0.05,
    )


@pytest.fixture
async def adapters(settings: Settings) -> AsyncIterator[Adapters]:
    built = build_adapters(settings)
    yield built
    await built.close()


@pytest.fixture
async def client(adapters: Adapters) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI without the in-process worker (tests drive jobs themselves)."""
    app = create_app(adapters=adapters, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
