"""A `clipcast worker` process serves its own /metrics: the jobs it ran reach Prometheus."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from clipcast.bootstrap import Adapters, build_adapters
from clipcast.db.migrate import upgrade
from clipcast.devserver import free_port
from clipcast.settings import Settings
from clipcast.web.app import create_app
from tests.e2e.cluster import cluster
from tests.integration.api import tus_helpers as tus
from tests.integration.api.test_accounts import register, token_for
from tests.media import make_video

pytestmark = pytest.mark.slow


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    """One embedded site's data dir, shared by this test's API (in-process) and its worker."""
    data = tmp_path / "site"
    settings = Settings(data_dir=data, secret_key="worker metrics", ladder=[240])
    data.mkdir()
    upgrade(settings.resolved_database_url())
    return settings


@pytest.fixture
async def site(embedded: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Adapters]]:
    adapters = build_adapters(embedded)
    app = create_app(adapters=adapters, run_workers=False)  # the jobs are the worker's
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, adapters
    await adapters.close()


async def test_a_transcode_worker_serves_the_jobs_it_ran_on_its_metrics_port(
    tmp_path: Path, embedded: Settings, site: tuple[httpx.AsyncClient, Adapters]
) -> None:
    client, _ = site
    port = free_port()
    env = {
        "CLIPCAST_DATA_DIR": str(embedded.data_dir),
        "CLIPCAST_SECRET_KEY": embedded.secret_key,
        "CLIPCAST_LADDER": "[240]",
        "CLIPCAST_WORKER_POLL_SECONDS": "0.1",
        "CLIPCAST_METRICS_PORT": str(port),
    }
    with cluster(tmp_path / "procs", {}) as c:
        worker = c.worker("transcode", "transcode", extra=env)
        before = await _scrape(port)
        assert "# TYPE clipcast_job_seconds histogram" in before
        assert "clipcast_outbox_pending_events" not in before  # the API processes report it

        await register(client)
        token = await token_for(client)
        source = make_video(tmp_path / "in.mp4", seconds=1, size="160x120")
        video_id = await tus.upload_bytes(client, token, source.read_bytes())
        state = await _settled(client, token, video_id)
        assert state == "ready", worker.tail()

        after = await _scrape(port)
        done = re.search(
            r'clipcast_job_seconds_count\{kind="transcode",outcome="done"\} (\S+)', after
        )
        assert done is not None, after
        assert float(done.group(1)) == 1.0


async def _settled(client: httpx.AsyncClient, token: str, video_id: str) -> str:
    deadline = time.monotonic() + 120
    while True:
        video = await client.get(
            f"/api/v1/videos/{uuid.UUID(video_id)}", headers={"Authorization": f"Bearer {token}"}
        )
        state: str = video.json()["state"]
        if state in ("ready", "failed") or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.2)


async def _scrape(port: int) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    return response.text
