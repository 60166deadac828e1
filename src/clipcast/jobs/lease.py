"""Keeping a leased job ours while its work runs, and giving it back if the work is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.clock import utcnow
from clipcast.jobs import queue


@contextlib.asynccontextmanager
async def held(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, worker: str, seconds: float
) -> AsyncIterator[None]:
    """Renew the lease every third of its length while the body runs.

    On cancellation (shutdown) the job is released so another worker takes it at once; on any
    other error the lease is left to run out, so the job is retried later, elsewhere.
    """
    renewer = asyncio.create_task(_renew(sessions, job_id, worker, seconds))
    try:
        yield
    except asyncio.CancelledError:
        await asyncio.shield(queue.release(sessions, job_id, worker))
        raise
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


async def _renew(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, worker: str, seconds: float
) -> None:
    while True:
        await asyncio.sleep(seconds / 3)
        await queue.renew(sessions, job_id, worker, utcnow() + timedelta(seconds=seconds))
