"""Enqueue, lease, renew and finish jobs; works on SQLite and on PostgreSQL (SKIP LOCKED)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.ids import new_id
from clipcast.jobs.models import Job


class JobKind(StrEnum):
    TRANSCODE = "transcode"  # one video, start to finish; parent of the two kinds below
    ENCODE_CHUNK = "encode_chunk"  # some picture rungs of one chunk of a video
    ENCODE_AUDIO = "encode_audio"  # the audio rendition of a video, whole


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


CHILD_KINDS = (JobKind.ENCODE_CHUNK, JobKind.ENCODE_AUDIO)
ALL_KINDS = (JobKind.TRANSCODE, *CHILD_KINDS)
# A job taken this many times without finishing (its workers crashed or were killed) is given
# up: whatever it does is failing in a way a retry does not fix. Five, not fewer, so that a few
# worker crashes or kills during a deploy never fail a healthy video.
MAX_ATTEMPTS = 5


def enqueue(
    session: AsyncSession,
    kind: JobKind,
    video_id: uuid.UUID,
    now: datetime,
    *,
    parent_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Stage a job in the caller's transaction: it exists only if the state change commits."""
    job_id = new_id()
    session.add(
        Job(
            id=job_id,
            kind=kind,
            video_id=video_id,
            state=JobState.QUEUED,
            created_at=now,
            parent_id=parent_id,
            payload=payload,
        )
    )
    return job_id


def _claimable(now: datetime) -> ColumnElement[bool]:
    # A running job whose lease ran out belongs to a worker that died: take it over.
    return or_(
        Job.state == JobState.QUEUED,
        (Job.state == JobState.RUNNING) & (Job.lease_until < now),
    )


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    *,
    kinds: Sequence[JobKind],
    worker: str,
    now: datetime,
    lease: timedelta,
    parent_id: uuid.UUID | None = None,
) -> Job | None:
    """Lease the oldest claimable job, or None. Safe with many workers on one database.

    Parts of a video already under way come before new videos, so a started video finishes
    (and becomes playable) sooner; `parent_id` limits the choice to one parent's children.
    """
    query = select(Job.id).where(Job.kind.in_(kinds), _claimable(now))
    if parent_id is not None:
        query = query.where(Job.parent_id == parent_id)
    async with sessions() as session:
        candidate = await session.scalar(
            query.order_by(case((Job.parent_id.is_(None), 1), else_=0), Job.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        result = await session.execute(
            update(Job)
            .where(Job.id == candidate, _claimable(now))
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


def finish(job: Job, error: str | None = None, result: dict[str, Any] | None = None) -> None:
    """Mark done; the caller commits it with the job's outcome."""
    job.state = JobState.DONE
    job.lease_until = None
    job.last_error = error
    job.result = result


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


async def children(sessions: async_sessionmaker[AsyncSession], parent_id: uuid.UUID) -> list[Job]:
    """Every child of `parent_id`, oldest first, as committed now."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Job).where(Job.parent_id == parent_id).order_by(Job.created_at, Job.id)
        )
        return list(rows)


async def drop_children(
    sessions: async_sessionmaker[AsyncSession], parent_id: uuid.UUID, reason: str
) -> None:
    """Close the children nobody runs yet; a running one finds its video gone or failed."""
    async with sessions() as session:
        await session.execute(
            update(Job)
            .where(Job.parent_id == parent_id, Job.state == JobState.QUEUED)
            .values(state=JobState.DONE, last_error=reason, lease_until=None)
        )
        await session.commit()
