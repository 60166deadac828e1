"""`clipcast activity export`: the activity log as CSV, for learning (one row per event)."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity.models import ActivityLog

COLUMNS = (
    "ts",
    "viewer_id",
    "signed_in",
    "video_id",
    "comment_id",
    "action",
    "clip",
    "resolution",
    "value",
    "views",
    "reached",
    "watch_ms",
    "likes",
    "dislikes",
)


async def export_csv(
    *,
    sessions: async_sessionmaker[AsyncSession],
    since: datetime,
    until: datetime | None,
    out: TextIO,
) -> int:
    """Write the events of [since, until) in time order, with a header; returns the count.
    Rows are streamed, so a long period does not have to fit in memory."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    stmt = select(*(getattr(ActivityLog, c) for c in COLUMNS)).where(ActivityLog.ts >= since)
    if until is not None:
        stmt = stmt.where(ActivityLog.ts < until)
    stmt = stmt.order_by(ActivityLog.ts, ActivityLog.viewer_id, ActivityLog.client_id)
    count = 0
    async with sessions() as session:
        rows = await session.stream(stmt.execution_options(yield_per=5000))
        async for row in rows:
            writer.writerow(_cell(value) for value in row)
            count += 1
    return count


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value
