"""Counters in SQL tables: the embedded mode's store (SQLite, or PostgreSQL without Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    case,
    delete,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.counters.base import (
    APPLIED_TTL_SECONDS,
    COMMENT_FIELDS,
    VIDEO_FIELDS,
    CommentCounts,
    CounterDeltas,
    CounterTotals,
    Snapshot,
    VideoCounts,
)
from clipcast.adapters.counters.tables import (
    CounterBatch,
    CounterClip,
    CounterComment,
    CounterHot,
    CounterHour,
    CounterVideo,
)
from clipcast.core.clock import utcnow

VIDEOS: Table = CounterVideo.__table__  # type: ignore[assignment]
CLIPS: Table = CounterClip.__table__  # type: ignore[assignment]
HOURS: Table = CounterHour.__table__  # type: ignore[assignment]
HOT: Table = CounterHot.__table__  # type: ignore[assignment]
COMMENTS: Table = CounterComment.__table__  # type: ignore[assignment]
BATCHES: Table = CounterBatch.__table__  # type: ignore[assignment]
ALL_TABLES = (VIDEOS, CLIPS, HOURS, HOT, COMMENTS, BATCHES)
Rows = list[dict[str, Any]]


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"clipcast supports SQLite and PostgreSQL, not {dialect}")


async def _add(
    session: AsyncSession, table: Table, rows: Rows, keys: Sequence[str], adds: Sequence[str]
) -> None:
    """Upsert that adds `adds` columns to existing rows, through the driver's executemany
    (one row per clip reached makes this the hot path; SQLAlchemy's per-row parameter
    processing cost more than the statement). Rows go in key order, so two transactions
    touching the same rows lock them in the same order (no deadlock)."""
    if not rows:
        return
    rows.sort(key=lambda row: tuple(str(row[k]) for k in keys))
    conn = await session.connection()
    columns = list(rows[0])
    sqlite = conn.dialect.paramstyle == "qmark"
    marks = ", ".join("?" if sqlite else f"${n}" for n in range(1, len(columns) + 1))
    updates = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in adds)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )  # made of table and column names of this module; the values are bound
    convert = _sqlite_value if sqlite else _same
    await conn.exec_driver_sql(sql, [tuple(convert(row[c]) for c in columns) for row in rows])


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy's Uuid type stores it on SQLite: 32 hex digits.
    return value.hex if isinstance(value, uuid.UUID) else value


def _same(value: Any) -> Any:
    return value


class SqlCounters:
    """Counters as rows; each batch applies in one transaction with its id's row."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def apply(self, batch_id: uuid.UUID, deltas: CounterDeltas) -> bool:
        return bool(await self.apply_many({batch_id: deltas}))

    async def apply_many(self, batches: Mapping[uuid.UUID, CounterDeltas]) -> set[uuid.UUID]:
        """One transaction: the ids not seen before are recorded, and their increments,
        summed, are applied (the rows of many batches' clips are upserted once)."""
        if not batches:
            return set()
        now = utcnow()
        markers = [{"batch_id": b, "applied_at": now} for b in sorted(batches)]
        async with self._sessions() as session, session.begin():
            stmt = _insert(session, BATCHES).on_conflict_do_nothing(index_elements=["batch_id"])
            new = set(await session.scalars(stmt.returning(BATCHES.c.batch_id), markers))
            total = CounterDeltas()
            for batch_id in new:
                total.add(batches[batch_id])
            await _apply_rows(session, total)
        return new

    async def snapshot(
        self,
        video_ids: list[uuid.UUID],
        batch_ids: list[uuid.UUID],
        comment_ids: list[uuid.UUID] | None = None,
    ) -> Snapshot:
        # One statement, so one consistent view on both databases (SQLite begins no read
        # transaction for plain SELECTs, so two statements could straddle a commit).
        v, b, c = VIDEOS.c, BATCHES.c, COMMENTS.c
        none, zero = [uuid.UUID(int=0)], literal(0)
        videos = select(
            literal("v").label("kind"),
            v.video_id.label("id"),
            v.views,
            v.likes,
            v.dislikes,
            v.watch_ms,
        ).where(v.video_id.in_(video_ids or none))
        batches = select(literal("b"), b.batch_id, zero, zero, zero, zero).where(
            b.batch_id.in_(batch_ids or none)
        )
        comments = select(literal("c"), c.comment_id, c.likes, c.dislikes, zero, zero).where(
            c.comment_id.in_(comment_ids or none)
        )
        async with self._sessions() as session:
            rows = (await session.execute(union_all(videos, batches, comments))).all()
        return Snapshot(
            videos={r[1]: VideoCounts(*map(int, r[2:6])) for r in rows if r[0] == "v"},
            applied=frozenset(r[1] for r in rows if r[0] == "b"),
            comments={r[1]: CommentCounts(int(r[2]), int(r[3])) for r in rows if r[0] == "c"},
        )

    async def clip_views(self, video_id: uuid.UUID) -> dict[int, int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(CLIPS.c.clip, CLIPS.c.reached).where(CLIPS.c.video_id == video_id)
            )
            return {int(clip): int(n) for clip, n in rows if n}

    async def views_by_hour(
        self, video_id: uuid.UUID, first_hour: int, last_hour: int
    ) -> dict[int, int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(HOURS.c.hour, HOURS.c.views).where(
                    HOURS.c.video_id == video_id, HOURS.c.hour.between(first_hour, last_hour)
                )
            )
            return {int(hour): int(n) for hour, n in rows if n}

    async def hot(
        self, scope: str, weights: dict[int, float], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        if not weights:
            return []
        weight = case(weights, value=HOT.c.hour, else_=0.0)
        score: ColumnElement[float] = func.sum(HOT.c.score * weight)
        stmt = (
            select(HOT.c.video_id, score.label("score"))
            .where(HOT.c.scope == scope, HOT.c.hour.in_(list(weights)))
            .group_by(HOT.c.video_id)
            .having(score > 0)
            .order_by(score.desc(), HOT.c.video_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [(row[0], float(row[1])) for row in await session.execute(stmt)]

    async def comment_counts(self, comment_ids: list[uuid.UUID]) -> dict[uuid.UUID, CommentCounts]:
        if not comment_ids:
            return {}
        c = COMMENTS.c
        async with self._sessions() as session:
            rows = await session.execute(
                select(c.comment_id, c.likes, c.dislikes).where(c.comment_id.in_(comment_ids))
            )
            return {row[0]: CommentCounts(int(row[1]), int(row[2])) for row in rows}

    async def popular_comments(
        self, video_id: uuid.UUID, offset: int, limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        c = COMMENTS.c
        stmt = (
            select(c.comment_id, c.score)
            .where(c.video_id == video_id)
            .order_by(c.score.desc(), c.comment_id)
            .offset(offset)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [(row[0], float(row[1])) for row in await session.execute(stmt)]

    async def forget_video(self, video_id: uuid.UUID) -> None:
        async with self._sessions() as session, session.begin():
            for table in (VIDEOS, CLIPS, HOURS, HOT, COMMENTS):
                await session.execute(delete(table).where(table.c.video_id == video_id))

    async def forget_comment(self, video_id: uuid.UUID, comment_id: uuid.UUID) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(COMMENTS).where(
                    COMMENTS.c.comment_id == comment_id, COMMENTS.c.video_id == video_id
                )
            )

    async def replace_all(self, totals: CounterTotals, applied: set[uuid.UUID]) -> None:
        async with self._sessions() as session, session.begin():
            for table in ALL_TABLES:
                await session.execute(delete(table))
            await _insert_totals(session, totals)
            if applied:
                now = utcnow()
                rows = [{"batch_id": b, "applied_at": now} for b in applied]
                await session.execute(_insert(session, BATCHES), rows)

    async def prune(self, *, now: datetime, hot_hours: int) -> None:
        before_hour = int(now.timestamp()) // 3600 - hot_hours
        async with self._sessions() as session, session.begin():
            await session.execute(delete(HOT).where(HOT.c.hour < before_hour))
            applied_before = now - timedelta(seconds=APPLIED_TTL_SECONDS)
            await session.execute(delete(BATCHES).where(BATCHES.c.applied_at < applied_before))

    async def check(self) -> None:
        async with self._sessions() as session:
            await session.execute(text("SELECT 1"))

    async def close(self) -> None:
        """The engine belongs to the composition root, which disposes of it."""


async def _apply_rows(session: AsyncSession, d: CounterDeltas) -> None:
    videos: dict[uuid.UUID, dict[str, Any]] = {}
    for (video_id, name), n in d.videos.items():
        row = videos.setdefault(video_id, _video_row(video_id))
        row[name] += int(n)
    await _add(session, VIDEOS, list(videos.values()), ["video_id"], list(VIDEO_FIELDS))
    clips = [{"video_id": v, "clip": c, "reached": int(n)} for (v, c), n in d.clips.items() if n]
    await _add(session, CLIPS, clips, ["video_id", "clip"], ["reached"])
    hours = [{"video_id": v, "hour": h, "views": int(n)} for (v, h), n in d.hours.items() if n]
    await _add(session, HOURS, hours, ["video_id", "hour"], ["views"])
    hot = [
        {"scope": s, "hour": h, "video_id": v, "score": float(n)}
        for (s, h, v), n in d.hot.items()
        if n
    ]
    await _add(session, HOT, hot, ["scope", "hour", "video_id"], ["score"])
    await _add(session, COMMENTS, _comment_rows(d), ["comment_id"], ["likes", "dislikes", "score"])


def _video_row(video_id: uuid.UUID) -> dict[str, Any]:
    return {"video_id": video_id, "views": 0, "likes": 0, "dislikes": 0, "watch_ms": 0}


def _comment_rows(d: CounterDeltas) -> Rows:
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    for (video_id, comment_id, name), n in d.comments.items():
        row = rows.setdefault(
            comment_id,
            {"comment_id": comment_id, "video_id": video_id, "likes": 0, "dislikes": 0, "score": 0},
        )
        row[name] += int(n)
        row["score"] += int(n) if name == COMMENT_FIELDS[0] else -int(n)
    return [row for row in rows.values() if row["likes"] or row["dislikes"]]


async def _insert_totals(session: AsyncSession, t: CounterTotals) -> None:
    statements: list[tuple[Table, Rows]] = [
        (VIDEOS, [{"video_id": v, **vars(c)} for v, c in t.videos.items()]),
        (CLIPS, [{"video_id": v, "clip": c, "reached": n} for (v, c), n in t.clips.items()]),
        (HOURS, [{"video_id": v, "hour": h, "views": n} for (v, h), n in t.hours.items()]),
        (
            HOT,
            [{"scope": s, "hour": h, "video_id": v, "score": n} for (s, h, v), n in t.hot.items()],
        ),
        (
            COMMENTS,
            [
                {
                    "comment_id": c,
                    "video_id": v,
                    "likes": n.likes,
                    "dislikes": n.dislikes,
                    "score": n.likes - n.dislikes,
                }
                for c, (v, n) in t.comments.items()
            ],
        ),
    ]
    for table, rows in statements:
        if rows:
            await session.execute(_insert(session, table), rows)
