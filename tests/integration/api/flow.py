"""Driving a video from upload to ready inside a test, without a background worker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from clipcast.bootstrap import Adapters, transcode_deps
from clipcast.core.clock import utcnow
from clipcast.jobs import queue
from clipcast.transcoding.worker import run_job
from tests.integration.api import tus_helpers as tus


async def run_pending_jobs(adapters: Adapters) -> int:
    """Run every queued job to its end, as a worker would; returns how many ran."""
    ran = 0
    while job := await queue.claim(
        adapters.sessions,
        kinds=queue.ALL_KINDS,
        worker="test",
        now=utcnow(),
        lease=timedelta(seconds=60),
    ):
        await run_job(transcode_deps(adapters), job, "test")
        ran += 1
    return ran


async def upload_and_process(
    client: httpx.AsyncClient, adapters: Adapters, token: str, source: Path, **meta: str
) -> str:
    video_id = await tus.upload_bytes(client, token, source.read_bytes(), **meta)
    await run_pending_jobs(adapters)
    return video_id
