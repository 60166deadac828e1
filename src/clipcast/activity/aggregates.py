"""Sums over the activity log and the state tables: what `counters rebuild` recomputes and what
retention rolls up before dropping a day."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TableClause,
    cast,
    column,
    delete,
    func,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.activity import rules
from clipcast.activity.models import (
    ActivityLog,
    CommentReaction,
    RollupClip,
    RollupHour,
    WatchHistory,
)
from clipcast.adapters.counters.base import CommentCounts, CounterTotals, VideoCounts
from clipcast.comments.models import Comment
from clipcast.videos.models import Video

LOG_COLUMNS = ("ts", "video_id", "clip", "views", "reached", "watch_ms", "likes")


def _log(name: str = "activity") -> TableClause:
    """The log, or one of its day partitions (PostgreSQL) by name."""
    if name == ActivityLog.__tablename__:
        return ActivityLog.__table__  # type: ignore[return-value]
    return table(name, *(column(c) for c in LOG_COLUMNS))


def hour_of(session: AsyncSession, ts: Any) -> ColumnElement[int]:
    """The clock hour (hours since the epoch) of a timestamp column, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(cast(func.strftime("%s", ts), Integer) / 3600, Integer)
    return cast(func.floor(func.extract("epoch", ts) / 3600), Integer)


# -- retention ---------------------------------------------------------------------------


async def roll_up_partition(session: AsyncSession, name: str) -> None:
    """Add one day partition's views, watch time and clip reaches to the roll-ups."""
    await _roll_up(session, _log(name), None)


async def roll_up_and_delete(session: AsyncSession, *, before: datetime) -> None:
    """SQLite: roll up and delete the log's rows older than `before`."""
    log = _log()
    await _roll_up(session, log, log.c.ts < before)
    await session.execute(delete(ActivityLog).where(ActivityLog.ts < before))


async def _roll_up(
    session: AsyncSession, log: TableClause, where: ColumnElement[bool] | None
) -> None:
    hours = await _sum_hours(session, log, where)
    clips = await _sum_clips(session, log, where)
    existing = await _existing_videos(session, {v for v, _ in hours} | {v for v, _ in clips})
    hour_rows = [
        {"video_id": v, "hour": h, "views": n, "watch_ms": ms}
        for (v, h), (n, ms) in sorted(hours.items())
        if v in existing
    ]
    clip_rows = [
        {"video_id": v, "clip": c, "reached": n}
        for (v, c), n in sorted(clips.items())
        if v in existing
    ]
    await _add(session, RollupHour, hour_rows, ["video_id", "hour"], ["views", "watch_ms"])
    await _add(session, RollupClip, clip_rows, ["video_id", "clip"], ["reached"])


async def _add(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: list[str], adds: list[str]
) -> None:
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = (postgresql.insert if postgres else sqlite.insert)(model)
    target = model.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: target[c] + stmt.excluded[c] for c in adds}
    )
    await session.execute(stmt, rows)


def _filtered(stmt: Select[Any], where: ColumnElement[bool] | None) -> Select[Any]:
    return stmt if where is None else stmt.where(where)


async def _sum_hours(
    session: AsyncSession, log: TableClause, where: ColumnElement[bool] | None
) -> dict[tuple[uuid.UUID, int], tuple[int, int]]:
    hour = hour_of(session, log.c.ts).label("hour")
    stmt = select(log.c.video_id, hour, func.sum(log.c.views), func.sum(log.c.watch_ms)).group_by(
        log.c.video_id, hour
    )
    rows = await session.execute(_filtered(stmt.where(log.c.reached > 0), where))
    return {(_uuid(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in rows}


async def _sum_clips(
    session: AsyncSession, log: TableClause, where: ColumnElement[bool] | None
) -> dict[tuple[uuid.UUID, int], int]:
    stmt = select(log.c.video_id, log.c.clip, func.sum(log.c.reached)).group_by(
        log.c.video_id, log.c.clip
    )
    rows = await session.execute(_filtered(stmt.where(log.c.reached > 0), where))
    return {(_uuid(r[0]), int(r[1])): int(r[2]) for r in rows}


def _uuid(value: Any) -> uuid.UUID:
    # Lightweight table clauses carry no column types: SQLite hands back the stored text.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def _existing_videos(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(await session.scalars(select(Video.id).where(Video.id.in_(ids))))


# -- rebuild -----------------------------------------------------------------------------


async def totals(session: AsyncSession, *, now: datetime) -> CounterTotals:
    """Every counter's value from SQL: the log (and its roll-ups) for views, watch time,
    clip reaches and hot buckets; the like states for likes; comment reactions."""
    videos = await _video_tags(session)
    out = CounterTotals()
    hours = await _all_hours(session)
    clips = await _all_clips(session)
    for (video, _), (views, watch) in hours.items():
        _add_counts(out, video, VideoCounts(views=views, watch_ms=watch))
    for video, (likes, dislikes) in (await _likes(session)).items():
        _add_counts(out, video, VideoCounts(likes=likes, dislikes=dislikes))
    out.videos = {v: c for v, c in out.videos.items() if v in videos}
    out.hours = {k: n for k, (n, _) in hours.items() if k[0] in videos and n}
    out.clips = {k: n for k, n in clips.items() if k[0] in videos}
    out.hot = await _hot(session, videos, now)
    out.comments = await _comments(session, set(videos))
    return out


def _add_counts(out: CounterTotals, video: uuid.UUID, counts: VideoCounts) -> None:
    out.videos[video] = out.videos.get(video, VideoCounts()).plus(counts)


async def _video_tags(session: AsyncSession) -> dict[uuid.UUID, tuple[str, ...]]:
    rows = await session.execute(select(Video.id, Video.tags))
    return {row.id: tuple(row.tags or ()) for row in rows}


async def _all_hours(session: AsyncSession) -> dict[tuple[uuid.UUID, int], tuple[int, int]]:
    out = await _sum_hours(session, _log(), None)
    rollups = await session.execute(
        select(RollupHour.video_id, RollupHour.hour, RollupHour.views, RollupHour.watch_ms)
    )
    for video, hour, views, watch in rollups:
        old = out.get((video, hour), (0, 0))
        out[(video, hour)] = (old[0] + views, old[1] + watch)
    return out


async def _all_clips(session: AsyncSession) -> dict[tuple[uuid.UUID, int], int]:
    out = Counter(await _sum_clips(session, _log(), None))
    rollups = await session.execute(
        select(RollupClip.video_id, RollupClip.clip, RollupClip.reached)
    )
    for video, clip, reached in rollups:
        out[(video, clip)] += reached
    return dict(out)


async def _likes(session: AsyncSession) -> dict[uuid.UUID, tuple[int, int]]:
    h = WatchHistory
    rows = await session.execute(
        select(h.video_id, h.reaction, func.count())
        .where(h.reaction != rules.Reaction.NONE)
        .group_by(h.video_id, h.reaction)
    )
    out: dict[uuid.UUID, tuple[int, int]] = {}
    for video, reaction, n in rows:
        likes, dislikes = out.get(video, (0, 0))
        if reaction == rules.Reaction.LIKE:
            likes += n
        else:
            dislikes += n
        out[video] = (likes, dislikes)
    return out


async def _hot(
    session: AsyncSession, videos: dict[uuid.UUID, tuple[str, ...]], now: datetime
) -> dict[tuple[str, int, uuid.UUID], float]:
    log = _log()
    first_hour = int(now.timestamp()) // 3600 - rules.HOT_WINDOW_HOURS
    hour = hour_of(session, log.c.ts).label("hour")
    stmt = (
        select(log.c.video_id, hour, func.sum(log.c.views), func.sum(log.c.likes))
        .where(hour >= first_hour, log.c.comment_id.is_(None))  # a comment's likes are its own
        .group_by(log.c.video_id, hour)
    )
    out: dict[tuple[str, int, uuid.UUID], float] = {}
    for raw_video, h, views, likes in await session.execute(stmt):
        video = _uuid(raw_video)
        score = rules.HOT_VIEW * int(views) + rules.HOT_LIKE * int(likes)
        if video not in videos or not score:
            continue
        for scope in rules.hot_scopes(list(videos[video])):
            out[(scope, int(h), video)] = score
    return out


async def _comments(
    session: AsyncSession, videos: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[uuid.UUID, CommentCounts]]:
    r = CommentReaction
    rows = await session.execute(
        select(r.comment_id, r.video_id, r.reaction, func.count())
        .where(r.reaction != rules.Reaction.NONE, r.comment_id.in_(select(Comment.id)))
        .group_by(r.comment_id, r.video_id, r.reaction)
    )
    out: dict[uuid.UUID, tuple[uuid.UUID, CommentCounts]] = {}
    for comment, video, reaction, n in rows:
        if video not in videos:
            continue
        _, counts = out.get(comment, (video, CommentCounts()))
        if reaction == rules.Reaction.LIKE:
            counts = CommentCounts(counts.likes + n, counts.dislikes)
        else:
            counts = CommentCounts(counts.likes, counts.dislikes + n)
        out[comment] = (video, counts)
    return out
