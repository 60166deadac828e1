"""Enqueue, lease, renew and finish jobs; works on SQLite and on PostgreSQL (SKIP LOCKED)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.ids import new_id
from clipcast.jobs.models import Job


class JobKind(StrEnum):
    TRANSCODE = "transcode"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


def enqueue(session: AsyncSession, kind: JobKind, video_id: uuid.UUID, now: datetime) -> None:
    """Stage a job in the caller's transaction: it exists only if the state change commits."""
    session.add(
        Job(id=new_id(), kind=kind, video_id=video_id, state=JobState.QUEUED, created_at=now)
    )


def _claimable(now: datetime) -> object:
    # A running job whose lease ran out belongs to a worker that died: take it over.
    return or_(
        Job.state == JobState.QUEUED,
        (Job.state == JobState.RUNNING) & (Job.lease_until < now),
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kinds: list[JobKind],
    worker: str,
    now: datetime,
    lease: timedelta,
) -> Job | None:
    """Lease the oldest claimable job, or None. Safe with many workers on one database."""
    async with sessions() as session:
        candidate = await session.scalar(
            select(Job.id)
            .where(Job.kind.in_(kinds), _claimable(now))  # type: ignore[arg-type]
            .order_by(Job.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        result = await session.execute(
            update(Job)
            .where(Job.id == candidate, _claimable(now))  # type: ignore[arg-type]
            .values(
                state=JobState.RUNNING,
                lease_until=now + lease,
                worker=worker,
                attempts=Job.attempts + 1,
            )
        )
        await session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None  # another worker won the race
        return await session.get(Job, candidate, populate_existing=True)


async def renew(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, worker: str, until: datetime
) -> bool:
    """Extend our lease; False if the job is no longer ours."""
    async with sessions() as session:
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.state == JobState.RUNNING)
            .values(lease_until=until)
        )
        await session.commit()
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(job: Job, error: str | None = None) -> None:
    """Mark done; the caller commits it with the job's outcome."""
    job.state = JobState.DONE
    job.lease_until = None
    job.last_error = error


async def release(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, worker: str
) -> None:
    """Give a job back (on shutdown) so another worker takes it at once."""
    async with sessions() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.state == JobState.RUNNING)
            .values(state=JobState.QUEUED, lease_until=None, worker=None)
        )
        await session.commit()
