"""The transcode worker loop: lease a job, keep the lease alive, record the outcome."""

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
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.ops import logs
from clipcast.transcoding.service import fail_video, transcode_video
from clipcast.uploads.service import expire_uploads, finish_if_complete, unfinished_complete_uploads

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
HOUSEKEEPING_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(adapters: Adapters, *, stop: asyncio.Event | None = None) -> None:
    """Take transcode jobs until cancelled or `stop` is set; a job in hand is released on exit."""
    name, settings = worker_name(), adapters.settings
    stop = stop or asyncio.Event()
    next_housekeeping = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_housekeeping:
            await housekeeping(adapters)
            next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
        job = await queue.claim(
            adapters.sessions,
            kinds=[queue.JobKind.TRANSCODE],
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
    renewer = asyncio.create_task(_keep_lease(adapters, job, name))
    log_token = logs.job_id.set(str(job.id))
    started = time.monotonic()
    outcome_label = "crashed"
    try:
        outcome_reason: str | None
        if job.attempts > MAX_ATTEMPTS:
            outcome_reason = "Processing failed repeatedly; giving up."
            await fail_video(adapters, job.video_id, outcome_reason)
        else:
            outcome = await transcode_video(
                adapters, job.video_id, adapters.settings.work_dir / str(job.id)
            )
            outcome_reason = outcome.reason
        await _finish(adapters, job, outcome_reason)
        outcome_label = "failed" if outcome_reason else "done"
    except asyncio.CancelledError:
        outcome_label = "released"
        await asyncio.shield(queue.release(adapters.sessions, job.id, name))
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
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


async def _finish(adapters: Adapters, job: Job, error: str | None) -> None:
    async with adapters.sessions() as session:
        row = await session.get(Job, job.id)
        if row is not None:
            queue.finish(row, error)
            await session.commit()


async def _keep_lease(adapters: Adapters, job: Job, name: str) -> None:
    lease = adapters.settings.job_lease_seconds
    while True:
        await asyncio.sleep(lease / 3)
        await queue.renew(adapters.sessions, job.id, name, utcnow() + timedelta(seconds=lease))


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
