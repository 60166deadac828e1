"""Readiness checks and the database-backed gauges of /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.jobs.models import Job
from clipcast.jobs.queue import JobState
from clipcast.ops.metrics import Metrics
from clipcast.outbox.models import OutboxEvent

CHECK_TIMEOUT = 3.0


async def check_database(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        await session.execute(text("SELECT 1"))


async def run_checks(checks: dict[str, Callable[[], Awaitable[None]]]) -> dict[str, str]:
    """Each named check → "ok" or the reason it failed (a timeout counts as a failure)."""

    async def one(check: Callable[[], Awaitable[None]]) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT)
        except TimeoutError:
            return f"no answer in {CHECK_TIMEOUT:.0f} s"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; report it
            return f"{type(exc).__name__}: {exc}"[:300]
        return "ok"

    results = await asyncio.gather(*(one(c) for c in checks.values()))
    return dict(zip(checks, results, strict=True))


async def bus_report(
    sessions: async_sessionmaker[AsyncSession], *, backend: str, connected: bool, now: datetime
) -> dict[str, object]:
    """The bus as this process sees it; the backlog is None while the database is down too."""
    report: dict[str, object] = {"backend": backend, "connected": connected}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            pending, oldest = await _outbox_backlog(sessions)
    except Exception:  # noqa: BLE001 - the database check already names the failure
        report |= {"outbox_backlog": None, "outbox_lag_seconds": None}
    else:
        report |= {"outbox_backlog": pending, "outbox_lag_seconds": _age(oldest, now)}
    return report


async def _outbox_backlog(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[int, datetime | str | None]:
    """Outbox rows not yet published, and when the oldest was written."""
    async with sessions() as session:
        pending, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxEvent.created_at)).where(
                    OutboxEvent.published_at.is_(None)
                )
            )
        ).one()
    return int(pending or 0), oldest


async def fill_gauges(
    sessions: async_sessionmaker[AsyncSession], metrics: Metrics, now: datetime
) -> None:
    async with sessions() as session:
        depth = (
            await session.execute(
                select(Job.kind, Job.state, func.count())
                .where(Job.state != JobState.DONE)
                .group_by(Job.kind, Job.state)
            )
        ).all()
    pending, oldest = await _outbox_backlog(sessions)
    metrics.queue_depth.clear()
    for kind, state, count in depth:
        metrics.queue_depth.labels(kind=kind, state=state).set(count)
    metrics.outbox_pending.set(pending)
    metrics.outbox_lag.set(_age(oldest, now))


def _age(oldest: datetime | str | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite's MIN() over a datetime column returns text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())
