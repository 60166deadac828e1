"""The transcode worker loop: lease a job (a video, or a part of one), keep the lease alive,
record the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from datetime import timedelta

from clipcast.core.clock import utcnow
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.jobs.running import run_leased
from clipcast.transcoding.children import run_child_job
from clipcast.transcoding.deps import TranscodeDeps
from clipcast.transcoding.service import fail_video, transcode_video
from clipcast.uploads import service as uploads

log = logging.getLogger(__name__)

MAX_ATTEMPTS = queue.MAX_ATTEMPTS
HOUSEKEEPING_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    deps: TranscodeDeps, *, stop: asyncio.Event | None = None, name: str | None = None
) -> None:
    """Take transcode jobs until cancelled or `stop` is set; a job in hand is released on exit.

    `name` tells apart several workers in one process (tests); by default host and pid.
    """
    name, settings = name or worker_name(), deps.settings
    stop = stop or asyncio.Event()
    next_housekeeping = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_housekeeping:
            await housekeeping(deps)
            next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
        job = await queue.claim(
            deps.sessions,
            kinds=queue.ALL_KINDS,
            worker=name,
            now=utcnow(),
            lease=timedelta(seconds=settings.job_lease_seconds),
        )
        if job is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.worker_poll_seconds)
            continue
        await run_job(deps, job, name)


async def run_job(deps: TranscodeDeps, job: Job, name: str) -> None:
    """Process one leased job; on cancellation give it back so another worker takes it."""
    if job.kind != queue.JobKind.TRANSCODE:
        await run_child_job(deps, job, name)
        return

    async def transcode() -> str | None:
        reason = await _transcode(deps, job, name)
        await _finish(deps, job, reason)
        return reason

    await run_leased(
        transcode,
        sessions=deps.sessions,
        job=job,
        worker=name,
        lease_seconds=deps.settings.job_lease_seconds,
        job_seconds=deps.job_seconds,
    )


async def _transcode(deps: TranscodeDeps, job: Job, name: str) -> str | None:
    if job.attempts > MAX_ATTEMPTS:
        reason = "Processing failed repeatedly; giving up."
        await queue.drop_children(deps.sessions, job.id, reason)
        await fail_video(deps, job.video_id, reason)
        return reason
    work_dir = deps.settings.work_dir / str(job.id)
    return (await transcode_video(deps, job, name, work_dir)).reason


async def _finish(deps: TranscodeDeps, job: Job, error: str | None) -> None:
    async with deps.sessions() as session:
        row = await session.get(Job, job.id)
        if row is not None:
            queue.finish(row, error)
            await session.commit()


async def housekeeping(deps: TranscodeDeps) -> None:
    """Hand on uploads a crash left complete; expire abandoned ones and their staged bytes."""
    await uploads.housekeeping(
        sessions=deps.sessions,
        storage=deps.storage,
        upload_dir=deps.settings.upload_dir,
        now=utcnow(),
    )
