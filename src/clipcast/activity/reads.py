"""Reads of activity, for callers and for other features (comments, analytics,
recommendations), with the caller's own not-yet-applied batches merged in.

Read-your-writes: a viewer's batches stay in `activity_pending` until the counters store has
them. A read takes those batches, the SQL state they touch and the counters (with which of
those batch ids the store has applied, in the same atomic read), and adds to the counters
what each unapplied batch will add: its frozen increments if the consumer has folded it into
SQL already, else what folding it into the state just read gives. A batch that moved between
the reads makes the read start again, so the caller never sees their own write counted twice
or not at all, and their counts never go backwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import inflight, rules
from clipcast.activity import repository as repo
from clipcast.activity.fold import Batch, Fold, History, Keys, keys_of
from clipcast.activity.rules import Reaction
from clipcast.adapters.counters.base import (
    CommentCounts,
    CounterDeltas,
    Counters,
    Snapshot,
    VideoCounts,
)
from clipcast.core.errors import InvalidInput
from clipcast.videos.access import visible_ids, visible_video

Sessions = async_sessionmaker[AsyncSession]
MAX_TRIES = 5


@dataclass(frozen=True)
class Own:
    """A viewer's view of the counters: the snapshot, what their pending batches add, and
    their state before and after those batches."""

    snapshot: Snapshot
    extra: CounterDeltas
    before: Fold
    after: Fold

    def video(self, video_id: uuid.UUID) -> VideoCounts:
        counts = self.snapshot.videos.get(video_id, VideoCounts())
        total = counts.plus(self.extra.video_counts(video_id))
        return VideoCounts(*(max(0, n) for n in vars(total).values()))

    def comments(self) -> dict[uuid.UUID, CommentCounts]:
        """Counts of the comments asked for, and of any the viewer's batches touch."""
        out = dict(self.snapshot.comments)
        for (_, comment, name), n in self.extra.comments.items():
            counts = out.get(comment, CommentCounts())
            if name == "likes":
                out[comment] = CommentCounts(max(0, counts.likes + n), counts.dislikes)
            else:
                out[comment] = CommentCounts(counts.likes, max(0, counts.dislikes + n))
        return out


@dataclass(frozen=True)
class Wanted:
    videos: frozenset[uuid.UUID] = frozenset()
    comments: frozenset[uuid.UUID] = frozenset()


async def own_view(
    *,
    sessions: Sessions,
    counters: Counters,
    viewer_id: uuid.UUID | None,
    wanted: Wanted,
    clip_seconds: int,
) -> Own:
    """The counters of `wanted` as this viewer should see them (see the module's docstring)."""
    own: Own | None = None
    for _ in range(MAX_TRIES):
        own, settled = await _attempt(sessions, counters, viewer_id, wanted, clip_seconds)
        if settled:
            return own
    assert own is not None
    return own  # batches kept moving under us: the last answer is off by at most that churn


async def _attempt(
    sessions: Sessions,
    counters: Counters,
    viewer_id: uuid.UUID | None,
    wanted: Wanted,
    clip_seconds: int,
) -> tuple[Own, bool]:
    pending, frozen, before = await _pending_state(sessions, viewer_id, wanted, clip_seconds)
    ids = [batch.id for batch in pending]
    snapshot = await counters.snapshot(sorted(wanted.videos), ids, sorted(wanted.comments))
    after, extra = before.copy(), CounterDeltas()
    for batch in pending:
        if batch.id in snapshot.applied:
            if batch.id not in frozen:
                return Own(snapshot, extra, before, after), False  # folded and applied meanwhile
            continue
        extra.add(frozen[batch.id] if batch.id in frozen else after.batch(batch))
    return Own(snapshot, extra, before, after), True


async def _pending_state(
    sessions: Sessions, viewer_id: uuid.UUID | None, wanted: Wanted, clip_seconds: int
) -> tuple[list[Batch], dict[uuid.UUID, CounterDeltas], Fold]:
    async with sessions() as session:
        pending = await inflight.pending_of(session, viewer_id) if viewer_id else []
        ids = [batch.id for batch in pending]
        while True:
            frozen = await inflight.frozen(session, ids)
            keys = _keys(pending, viewer_id, wanted)
            state = await repo.load_fold(session, keys, clip_seconds, lock=False)
            # A batch folded into SQL between the two reads would be folded twice: read again.
            if await inflight.frozen_ids(session, ids) == set(frozen):
                return pending, frozen, state


def _keys(pending: list[Batch], viewer_id: uuid.UUID | None, wanted: Wanted) -> Keys:
    keys = keys_of(pending)
    if viewer_id is not None:
        keys.history.update((viewer_id, video) for video in wanted.videos)
        keys.videos.update(wanted.videos)
        for comment in wanted.comments:
            # The mapped video only matters for placeholder rows, which reads never make.
            keys.reactions.setdefault((viewer_id, comment), uuid.UUID(int=0))
    return keys


# -- what the API answers ----------------------------------------------------------------


@dataclass(frozen=True)
class VideoStats:
    video_id: uuid.UUID
    counts: VideoCounts
    my_reaction: Reaction | None


async def video_stats(
    *,
    sessions: Sessions,
    counters: Counters,
    video_id: uuid.UUID,
    user_id: uuid.UUID | None,
    viewer_id: uuid.UUID | None,
    clip_seconds: int,
) -> VideoStats:
    """Views, likes, dislikes and watch time of a video the caller may see, their own
    latest events included; their reaction when signed in."""
    async with sessions() as session:
        await visible_video(session, video_id, user_id)
    own = await own_view(
        sessions=sessions,
        counters=counters,
        viewer_id=viewer_id,
        wanted=Wanted(videos=frozenset({video_id})),
        clip_seconds=clip_seconds,
    )
    reaction = None
    if user_id is not None:
        history = own.after.history.get((user_id, video_id))
        reaction = history.reaction if history else Reaction.NONE
    return VideoStats(video_id, own.video(video_id), reaction)


@dataclass(frozen=True)
class Resume:
    video_id: uuid.UUID
    position: float | None
    progress: float
    reaction: Reaction | None


async def resume(
    *,
    sessions: Sessions,
    counters: Counters,
    video_id: uuid.UUID,
    user_id: uuid.UUID | None,
    viewer_id: uuid.UUID | None,
    clip_seconds: int,
) -> Resume:
    """Where the caller left a video they may see (None: never watched, or erased)."""
    async with sessions() as session:
        await visible_video(session, video_id, user_id)
    own = await own_view(
        sessions=sessions,
        counters=counters,
        viewer_id=viewer_id,
        wanted=Wanted(videos=frozenset({video_id})),
        clip_seconds=clip_seconds,
    )
    history = own.after.history.get((viewer_id, video_id)) if viewer_id else None
    if history is None:
        return Resume(video_id, None, 0.0, Reaction.NONE if user_id else None)
    reaction = history.reaction if user_id else None
    return Resume(video_id, history.position, history.progress, reaction)


@dataclass(frozen=True)
class HistoryEntry:
    video_id: uuid.UUID
    title: str
    duration: float | None
    last_watched_at: datetime
    history: History


async def history_page(
    *,
    sessions: Sessions,
    counters: Counters,
    user_id: uuid.UUID,
    page: int,
    per_page: int,
    clip_seconds: int,
) -> tuple[list[HistoryEntry], int]:
    """The user's watch history, last watched first, with batches still on their way."""
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput("page starts at 1; per_page is 1–100.", code="bad_page")
    own = await own_view(
        sessions=sessions,
        counters=counters,
        viewer_id=user_id,
        wanted=Wanted(),
        clip_seconds=clip_seconds,
    )
    fresh = _fresh_entries(own, user_id)
    async with sessions() as session:
        rows, total = await repo.history_page(session, user_id, (page - 1) * per_page, per_page)
        merged = _merge(rows, fresh, first_page=page == 1)[:per_page]
        total += sum(1 for v in fresh if not _was_listed(own, user_id, v))
        visible = await visible_ids(session, {v for v, _ in merged}, user_id)
        titles = await repo.video_titles(session, visible)
    entries = [
        HistoryEntry(v, *titles[v], repo.ms_to_datetime(h.last_watched_ms or 0), h)
        for v, h in merged
        if v in titles
    ]
    return entries, total


def _fresh_entries(own: Own, user_id: uuid.UUID) -> dict[uuid.UUID, History]:
    return {
        video: history
        for (viewer, video), history in own.after.history.items()
        if viewer == user_id and history.last_watched_ms is not None
    }


def _was_listed(own: Own, user_id: uuid.UUID, video_id: uuid.UUID) -> bool:
    before = own.before.history.get((user_id, video_id))
    return before is not None and before.last_watched_ms is not None


def _merge(
    rows: list[tuple[uuid.UUID, History]], fresh: dict[uuid.UUID, History], *, first_page: bool
) -> list[tuple[uuid.UUID, History]]:
    """SQL's page with the fresher state of the same videos; on the first page, the videos
    watched since (the newest of all) too."""
    merged = {video: fresh.get(video, history) for video, history in rows}
    if first_page:
        merged.update(fresh)
    return sorted(merged.items(), key=lambda item: (-(item[1].last_watched_ms or 0), item[0]))


# -- for other features ------------------------------------------------------------------


async def retention(*, counters: Counters, video_id: uuid.UUID, clips: int) -> list[int]:
    """Viewers that reached each of the video's clips, in order (the retention curve)."""
    reached = await counters.clip_views(video_id)
    return [reached.get(index, 0) for index in range(clips)]


async def views_over_time(
    *, counters: Counters, video_id: uuid.UUID, since: datetime, until: datetime
) -> dict[datetime, int]:
    """Views counted in each clock hour from `since` to `until` (hours with none left out)."""
    first, last = int(since.timestamp()) // 3600, int(until.timestamp()) // 3600
    hours = await counters.views_by_hour(video_id, first, last)
    return {repo.ms_to_datetime(hour * rules.HOUR_MS): n for hour, n in sorted(hours.items())}


async def hot_videos(
    *, counters: Counters, now: datetime, tag: str | None = None, limit: int = 50
) -> list[tuple[uuid.UUID, float]]:
    """The hottest videos overall or of a tag: views and likes of the last HOT_WINDOW_HOURS,
    each hour weighing half as much as the one HOT_HALF_LIFE_HOURS later. Ids only: the
    caller filters what its reader may see (videos.access)."""
    scope = rules.GLOBAL_SCOPE if tag is None else f"tag:{tag}"
    weights = rules.hot_weights(int(now.timestamp()) // 3600)
    return await counters.hot(scope, weights, limit)
