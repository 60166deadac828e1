"""The activity log's days: partitions made ahead on PostgreSQL (one table on SQLite), and days
past retention rolled up into per-video totals and dropped."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import aggregates

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
DAY_MS = 86_400_000
AHEAD_DAYS = 2
_NAME = re.compile(r"^activity_p(\d{8})$")


def partition_name(day: date) -> str:
    return f"activity_p{day:%Y%m%d}"


def _bound(day: date) -> str:
    # A literal made from a date, never from input: DDL takes no bind parameters.
    return datetime.combine(day, time(), UTC).isoformat()


class LogPartitions:
    """Makes sure the log has a partition for each day before rows of that day are inserted;
    remembers the days it has seen to, so the check costs nothing after the first time."""

    def __init__(self) -> None:
        self._known: set[date] = set()

    async def ensure(self, sessions: Sessions, ts_ms: Iterable[int]) -> None:
        days = {date.fromordinal(date(1970, 1, 1).toordinal() + ms // DAY_MS) for ms in ts_ms}
        missing = sorted(days - self._known)
        if not missing:
            return
        async with sessions() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            for day in missing:
                await _create(sessions, day)
        self._known.update(missing)


async def _create(sessions: Sessions, day: date) -> None:
    name = partition_name(day)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF activity "
        f"FOR VALUES FROM ('{_bound(day)}') TO ('{_bound(day + timedelta(days=1))}')"
    )
    try:
        async with sessions() as session, session.begin():
            await session.execute(text(ddl))
    except DBAPIError:
        # Two processes creating the same day race inside IF NOT EXISTS; the loser's error
        # means the partition is there. Anything else shows on the insert that follows.
        log.info("activity partition %s: made by another process", name)


async def maintain(
    sessions: Sessions, partitions: LogPartitions, *, now: datetime, retention_days: int
) -> int:
    """Make partitions up to AHEAD_DAYS ahead and roll up and drop the days past retention
    (0: keep all); returns how many days were dropped."""
    today = now.date()
    days = [today + timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)]
    await partitions.ensure(sessions, (_day_ms(day) for day in days))
    if not retention_days:
        return 0
    return await drop_before(sessions, today - timedelta(days=retention_days))


def _day_ms(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp() * 1000)


async def drop_before(sessions: Sessions, first_kept: date) -> int:
    """Roll up and drop log days before `first_kept`, each day in one transaction."""
    async with sessions() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        days = await _partition_days(session) if postgres else []
    if not postgres:
        async with sessions() as session, session.begin():
            await aggregates.roll_up_and_delete(session, before=_as_datetime(first_kept))
        return 0
    dropped = 0
    for day in sorted(d for d in days if d < first_kept):
        async with sessions() as session, session.begin():
            await aggregates.roll_up_partition(session, partition_name(day))
            await session.execute(text(f"DROP TABLE {partition_name(day)}"))
        dropped += 1
    return dropped


def _as_datetime(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


async def _partition_days(session: AsyncSession) -> list[date]:
    rows = await session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'activity'::regclass"
        )
    )
    days = []
    for name in rows:
        if match := _NAME.match(name):
            days.append(datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC).date())
    return days
