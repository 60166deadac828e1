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

from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.jobs import lease, queue
from clipcast.jobs.models import Job
from clipcast.ops import logs
from clipcast.transcoding.children import run_child_job
from clipcast.transcoding.service import fail_video, transcode_video
from clipcast.uploads.service import expire_uploads, finish_if_complete, unfinished_complete_uploads

log = logging.getLogger(__name__)

MAX_ATTEMPTS = queue.MAX_ATTEMPTS
HOUSEKEEPING_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    adapters: Adapters, *, stop: asyncio.Event | None = None, name: str | None = None
) -> None:
    """Take transcode jobs until cancelled or `stop` is set; a job in hand is released on exit.

    `name` tells apart several workers in one process (tests); by default host and pid.
    """
    name, settings = name or worker_name(), adapters.settings
    stop = stop or asyncio.Event()
    next_housekeeping = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_housekeeping:
            await housekeeping(adapters)
            next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
        job = await queue.claim(
            adapters.sessions,
            kinds=queue.ALL_KINDS,
            worker=name,
            now=utcnow(),
            lease=timedelta(seconds=settings.job_lease_seconds),
        )
        if job is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.worker_poll_seconds)
            continue
        await run_job(adapters, job, name)


async def run_job(adapters: Adapters, job: Job, name: str) -> None:
    """Process one leased job; on cancellation give it back so another worker takes it."""
    if job.kind != queue.JobKind.TRANSCODE:
        await run_child_job(adapters, job, name)
        return
    log_token = logs.job_id.set(str(job.id))
    started = time.monotonic()
    outcome_label = "crashed"
    try:
        async with lease.held(adapters.sessions, job.id, name, adapters.settings.job_lease_seconds):
            outcome_reason = await _transcode(adapters, job, name)
            await _finish(adapters, job, outcome_reason)
        outcome_label = "failed" if outcome_reason else "done"
    except asyncio.CancelledError:
        outcome_label = "released"
        raise
    except Exception:
        # An unexpected error (storage or database away): leave the job leased; it is
        # retried when the lease runs out, and failed for good after MAX_ATTEMPTS.
        log.exception("transcode job %s for video %s crashed", job.id, job.video_id)
    finally:
        adapters.metrics.job_seconds.labels(kind=job.kind, outcome=outcome_label).observe(
            time.monotonic() - started
        )
        logs.job_id.reset(log_token)


async def _transcode(adapters: Adapters, job: Job, name: str) -> str | None:
    if job.attempts > MAX_ATTEMPTS:
        reason = "Processing failed repeatedly; giving up."
        await queue.drop_children(adapters.sessions, job.id, reason)
        await fail_video(adapters, job.video_id, reason)
        return reason
    work_dir = adapters.settings.work_dir / str(job.id)
    return (await transcode_video(adapters, job, name, work_dir)).reason


async def _finish(adapters: Adapters, job: Job, error: str | None) -> None:
    async with adapters.sessions() as session:
        row = await session.get(Job, job.id)
        if row is not None:
            queue.finish(row, error)
            await session.commit()


async def housekeeping(adapters: Adapters) -> None:
    """Expire abandoned uploads; hand on uploads a crash left complete but unfinished."""
    settings = adapters.settings
    await expire_uploads(sessions=adapters.sessions, upload_dir=settings.upload_dir, now=utcnow())
    for upload_id in await unfinished_complete_uploads(sessions=adapters.sessions):
        await finish_if_complete(
            sessions=adapters.sessions,
            storage=adapters.storage,
            upload_dir=settings.upload_dir,
            upload_id=upload_id,
            now=utcnow(),
        )
