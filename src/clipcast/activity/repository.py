"""Queries of activity: the state a fold reads and writes, pending batches, frozen increments,
history pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.activity.fold import (
    CommentReaction,
    Fold,
    History,
    Keys,
    Logged,
    VideoFacts,
    Window,
)
from clipcast.activity.models import CommentReaction as CommentReactionRow
from clipcast.activity.models import (
    ViewWindow,
    WatchHistory,
)
from clipcast.activity.rules import Reaction, Stamp
from clipcast.comments.models import Comment
from clipcast.events.inserts import insert_new
from clipcast.videos.models import Video

ACTIVITY_BATCH = "activity.batch"
HISTORY: Table = WatchHistory.__table__  # type: ignore[assignment]
WINDOWS: Table = ViewWindow.__table__  # type: ignore[assignment]
REACTIONS: Table = CommentReactionRow.__table__  # type: ignore[assignment]


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def datetime_to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _stamp(ms: int | None, event: str | None) -> Stamp | None:
    return None if ms is None or event is None else (ms, event)


# -- what a fold reads -------------------------------------------------------------------


async def video_facts(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, VideoFacts]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Video.id, Video.duration, Video.tags).where(Video.id.in_(wanted))
    )
    return {row.id: VideoFacts(row.duration, tuple(row.tags or ())) for row in rows}


async def comment_videos(
    session: AsyncSession, comment_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The video of each existing comment (the comments feature owns the table; read only)."""
    wanted = list(comment_ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Comment.id, Comment.video_id).where(Comment.id.in_(wanted)))
    return {row.id: row.video_id for row in rows}


async def ensure_rows(session: AsyncSession, keys: Keys, videos: set[uuid.UUID]) -> None:
    """Placeholder rows for every key of an existing video, so the fold can lock them all
    (FOR UPDATE on PostgreSQL) before reading: two consumers then take turns per row."""
    history = sorted((v, w) for v, w in keys.history if w in videos)
    await _insert_missing(
        session,
        HISTORY,
        [_empty_history(viewer, video) for viewer, video in history],
        ["viewer_id", "video_id"],
    )
    windows = sorted(k for k in keys.windows if k[1] in videos)
    await _insert_missing(
        session,
        WINDOWS,
        [
            {"viewer_id": a, "video_id": b, "hour": h, "clips": b"", "counted": False}
            for a, b, h in windows
        ],
        ["viewer_id", "video_id", "hour"],
    )
    reactions = sorted((k, v) for k, v in keys.reactions.items() if v in videos)
    await _insert_missing(
        session,
        REACTIONS,
        [
            {"user_id": u, "comment_id": c, "video_id": v, "reaction": Reaction.NONE}
            for (u, c), v in reactions
        ],
        ["user_id", "comment_id"],
    )


def _empty_history(viewer: uuid.UUID, video: uuid.UUID) -> dict[str, Any]:
    return {
        "viewer_id": viewer,
        "video_id": video,
        "signed_in": False,
        "progress": 0.0,
        "watch_count": 0,
        "reaction": Reaction.NONE,
        "cleared_ms": 0,
    }


async def _insert_missing(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    if rows:
        await session.execute(insert_new(session, table, rows[0], keys), rows)


async def load_fold(session: AsyncSession, keys: Keys, clip_seconds: int, *, lock: bool) -> Fold:
    """The state of `keys` as a Fold; `lock` takes the rows FOR UPDATE (consumers)."""
    facts = await video_facts(session, keys.videos)
    return Fold(
        facts=facts,
        history=await _histories(session, keys.history, lock),
        windows=await _windows(session, keys.windows, lock),
        reactions=await _reactions(session, set(keys.reactions), lock),
        clip_seconds=clip_seconds,
    )


def _rows_of(table: Table, cols: Sequence[str], keys: set[Any], lock: bool) -> Any:
    stmt = select(table).where(tuple_(*(table.c[c] for c in cols)).in_(sorted(keys)))
    return stmt.order_by(*(table.c[c] for c in cols)).with_for_update() if lock else stmt


async def _histories(
    session: AsyncSession, keys: set[tuple[uuid.UUID, uuid.UUID]], lock: bool
) -> dict[tuple[uuid.UUID, uuid.UUID], History]:
    if not keys:
        return {}
    rows = await session.execute(_rows_of(HISTORY, ["viewer_id", "video_id"], keys, lock))
    return {(r.viewer_id, r.video_id): _history(r) for r in rows}


def _history(r: Any) -> History:
    return History(
        signed_in=r.signed_in,
        last_watched_ms=None if r.last_watched_at is None else datetime_to_ms(r.last_watched_at),
        position=r.position,
        position_stamp=_stamp(r.position_ms, r.position_event),
        progress=r.progress,
        watch_count=r.watch_count,
        reaction=Reaction(r.reaction),
        reaction_stamp=_stamp(r.reaction_ms, r.reaction_event),
        cleared_ms=r.cleared_ms,
    )


async def _windows(
    session: AsyncSession, keys: set[tuple[uuid.UUID, uuid.UUID, int]], lock: bool
) -> dict[tuple[uuid.UUID, uuid.UUID, int], Window]:
    if not keys:
        return {}
    rows = await session.execute(_rows_of(WINDOWS, ["viewer_id", "video_id", "hour"], keys, lock))
    return {
        (r.viewer_id, r.video_id, r.hour): Window(int.from_bytes(r.clips, "little"), r.counted)
        for r in rows
    }


async def _reactions(
    session: AsyncSession, keys: set[tuple[uuid.UUID, uuid.UUID]], lock: bool
) -> dict[tuple[uuid.UUID, uuid.UUID], CommentReaction]:
    if not keys:
        return {}
    rows = await session.execute(_rows_of(REACTIONS, ["user_id", "comment_id"], keys, lock))
    return {
        (r.user_id, r.comment_id): CommentReaction(
            r.video_id, Reaction(r.reaction), _stamp(r.reaction_ms, r.reaction_event)
        )
        for r in rows
    }


# -- what a fold writes ------------------------------------------------------------------


async def save_fold(session: AsyncSession, fold: Fold) -> None:
    """Write the changed rows (their placeholders exist) and append the log."""
    histories = [_history_row(k, fold.history[k]) for k in sorted(fold.changed_history)]
    if histories:
        await session.execute(update(WatchHistory), histories)
    windows = [_window_row(k, fold.windows[k]) for k in sorted(fold.changed_windows)]
    if windows:
        await session.execute(update(ViewWindow), windows)
    reactions = [_reaction_row(k, fold.reactions[k]) for k in sorted(fold.changed_reactions)]
    if reactions:
        await session.execute(update(CommentReactionRow), reactions)
    if fold.logged:
        await _append_log(session, fold.logged)


def _history_row(key: tuple[uuid.UUID, uuid.UUID], h: History) -> dict[str, Any]:
    position_ms, position_event = h.position_stamp or (None, None)
    reaction_ms, reaction_event = h.reaction_stamp or (None, None)
    return {
        "viewer_id": key[0],
        "video_id": key[1],
        "signed_in": h.signed_in,
        "last_watched_at": None if h.last_watched_ms is None else ms_to_datetime(h.last_watched_ms),
        "position": h.position,
        "position_ms": position_ms,
        "position_event": position_event,
        "progress": h.progress,
        "watch_count": h.watch_count,
        "reaction": h.reaction,
        "reaction_ms": reaction_ms,
        "reaction_event": reaction_event,
        "cleared_ms": h.cleared_ms,
    }


def _window_row(key: tuple[uuid.UUID, uuid.UUID, int], w: Window) -> dict[str, Any]:
    clips = w.clips.to_bytes(max(1, (w.clips.bit_length() + 7) // 8), "little")
    return {
        "viewer_id": key[0],
        "video_id": key[1],
        "hour": key[2],
        "clips": clips,
        "counted": w.counted,
    }


def _reaction_row(key: tuple[uuid.UUID, uuid.UUID], r: CommentReaction) -> dict[str, Any]:
    ms, event = r.stamp or (None, None)
    return {
        "user_id": key[0],
        "comment_id": key[1],
        "reaction": r.reaction,
        "reaction_ms": ms,
        "reaction_event": event,
    }


LOG_COLUMNS = (
    "ts",
    "viewer_id",
    "client_id",
    "signed_in",
    "video_id",
    "comment_id",
    "action",
    "clip",
    "resolution",
    "value",
    "batch_id",
    "views",
    "reached",
    "watch_ms",
    "likes",
    "dislikes",
)


async def _append_log(session: AsyncSession, logged: list[Logged]) -> None:
    """Append the log rows: one event is one row, so this is the consumer's hot path, and
    SQLAlchemy's per-row parameter processing cost more than the insert itself. SQLite: the
    driver's executemany, with values as SQLAlchemy stores them (text times, hex uuids, 0/1).
    PostgreSQL: one INSERT … SELECT FROM unnest(arrays), a column per array, which asyncpg
    encodes in C (executemany binds and runs every row on its own). A redelivered copy of an
    event hits the key and is skipped."""
    conn = await session.connection()
    times: dict[int, Any] = {}  # a batch's events share a few instants: convert each once
    rows = [
        (_sqlite_row if conn.dialect.paramstyle == "qmark" else _native_row)(entry, times)
        for entry in logged
    ]
    if conn.dialect.paramstyle == "qmark":
        await conn.exec_driver_sql(SQLITE_LOG_INSERT, rows)
    else:
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        await conn.exec_driver_sql(POSTGRES_LOG_INSERT, columns)


def _native_row(entry: Logged, times: dict[int, Any]) -> tuple[Any, ...]:
    e, f, b = entry.event, entry.effect, entry.batch
    ts = times.get(e.ts_ms)
    if ts is None:
        ts = times[e.ts_ms] = ms_to_datetime(e.ts_ms)
    return (
        ts,
        b.viewer_id,
        e.id,
        b.signed_in,
        e.video_id,
        e.comment_id,
        e.action.value,
        e.clip,
        e.resolution,
        e.position,
        b.id,
        f.views,
        f.reached,
        f.watch_ms,
        f.likes,
        f.dislikes,
    )


# Both made of the constants above only; the values are bound.
SQLITE_LOG_INSERT = (
    f"INSERT INTO activity ({', '.join(LOG_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(LOG_COLUMNS))}) "
    "ON CONFLICT (ts, viewer_id, client_id) DO NOTHING"
)
LOG_TYPES = (
    "timestamptz",
    "uuid",
    "varchar",
    "boolean",
    "uuid",
    "uuid",
    "varchar",
    "integer",
    "integer",
    "float8",
    "uuid",
    "smallint",
    "smallint",
    "integer",
    "smallint",
    "smallint",
)
POSTGRES_LOG_INSERT = (
    f"INSERT INTO activity ({', '.join(LOG_COLUMNS)}) SELECT * FROM unnest("  # noqa: S608
    + ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(LOG_TYPES, start=1))
    + ") ON CONFLICT (ts, viewer_id, client_id) DO NOTHING"
)


def _sqlite_row(entry: Logged, times: dict[int, Any]) -> tuple[Any, ...]:
    e, f, b = entry.event, entry.effect, entry.batch
    ts = times.get(e.ts_ms)
    if ts is None:
        ts = times[e.ts_ms] = ms_to_datetime(e.ts_ms).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (
        ts,
        b.viewer_id.hex,
        e.id,
        int(b.signed_in),
        e.video_id.hex,
        e.comment_id.hex if e.comment_id else None,
        e.action.value,
        e.clip,
        e.resolution,
        e.position,
        b.id.hex,
        f.views,
        f.reached,
        f.watch_ms,
        f.likes,
        f.dislikes,
    )


# -- history -----------------------------------------------------------------------------


async def history_page(
    session: AsyncSession, viewer_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[tuple[uuid.UUID, History]], int]:
    where = [WatchHistory.viewer_id == viewer_id, WatchHistory.last_watched_at.is_not(None)]
    total = await session.scalar(select(func.count()).select_from(WatchHistory).where(*where))
    rows = await session.execute(
        select(HISTORY)
        .where(*where)
        .order_by(WatchHistory.last_watched_at.desc(), WatchHistory.video_id)
        .offset(offset)
        .limit(limit)
    )
    return [(r.video_id, _history(r)) for r in rows], int(total or 0)


async def history_of(
    session: AsyncSession, viewer_id: uuid.UUID, video_id: uuid.UUID
) -> History | None:
    rows = await _histories(session, {(viewer_id, video_id)}, lock=False)
    return rows.get((viewer_id, video_id))


async def video_titles(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, float | None]]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Video.id, Video.title, Video.duration).where(Video.id.in_(wanted))
    )
    return {row.id: (row.title, row.duration) for row in rows}


async def ensure_history(
    session: AsyncSession, viewer_id: uuid.UUID, video_ids: Iterable[uuid.UUID]
) -> None:
    """Rows for the viewer on these videos (those that exist), to hold a clear mark."""
    wanted = list(video_ids)
    if not wanted:
        return
    existing = await session.scalars(select(Video.id).where(Video.id.in_(wanted)))
    rows = [_empty_history(viewer_id, video) for video in sorted(existing)]
    await _insert_missing(session, HISTORY, rows, ["viewer_id", "video_id"])


async def clear_history(
    session: AsyncSession, viewer_id: uuid.UUID, video_ids: list[uuid.UUID] | None, now_ms: int
) -> None:
    """Erase the watch fields of the viewer's rows (all, or those of `video_ids`); watch
    events up to `now_ms` that arrive later leave them alone. Like states stay."""
    greatest = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest
    stmt = update(WatchHistory).where(WatchHistory.viewer_id == viewer_id)
    if video_ids is not None:
        stmt = stmt.where(WatchHistory.video_id.in_(video_ids))
    await session.execute(
        stmt.values(
            last_watched_at=None,
            position=None,
            progress=0.0,
            watch_count=0,
            cleared_ms=greatest(WatchHistory.cleared_ms, now_ms),
        ).execution_options(synchronize_session=False)
    )
