"""Running one leased job: its lease kept alive, its id in the logs, its outcome measured."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.jobs import lease
from clipcast.jobs.models import Job
from clipcast.ops import logs

log = logging.getLogger(__name__)


async def run_leased(
    body: Callable[[], Awaitable[str | None]],
    *,
    sessions: async_sessionmaker[AsyncSession],
    job: Job,
    worker: str,
    lease_seconds: float,
    job_seconds: Histogram,
) -> None:
    """Run `body` (it returns the error of a failed job, None when done) under the job's lease.

    Cancelled, the job is given back at once ("released") so another worker takes it. Any other
    error (storage or database away) leaves the job leased: it is taken again when the lease
    runs out, and failed for good after too many attempts.
    """
    token, started, outcome = logs.job_id.set(str(job.id)), time.monotonic(), "crashed"
    try:
        async with lease.held(sessions, job.id, worker, lease_seconds):
            error = await body()
        outcome = "failed" if error else "done"
    except asyncio.CancelledError:
        outcome = "released"
        raise
    except Exception:
        log.exception("%s job %s for video %s crashed", job.kind, job.id, job.video_id)
    finally:
        job_seconds.labels(kind=job.kind, outcome=outcome).observe(time.monotonic() - started)
        logs.job_id.reset(token)
