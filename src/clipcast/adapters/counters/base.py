"""The counters port: popularity counts applied in batches, each batch at most once.

A batch of increments (`CounterDeltas`) is applied under an id; the store records the id in
the same atomic step as the increments, so applying the same id again changes nothing. That is
what makes counts exact whatever the bus redelivers, including a crash between the SQL commit
that computed the increments and the store write that applies them.

Keys: per video views, likes, dislikes and watch time (ms); per clip of a video the viewers
that reached it (the retention curve); per video and hour the views counted in that hour; per
comment likes and dislikes, and per video its comments ranked by likes − dislikes; and "hot"
sorted sets per scope (`all`, or `tag:{tag}`) in hourly buckets, read with a time decay.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

VIDEO_FIELDS = ("views", "likes", "dislikes", "watch_ms")
COMMENT_FIELDS = ("likes", "dislikes")
# An applied batch id is remembered this long: far beyond any redelivery (ack wait × cap)
# or any crash-to-restart gap, so a late redelivery still finds it.
APPLIED_TTL_SECONDS = 14 * 24 * 3600
# Hot buckets are kept this many hours after their hour (readers weigh fewer: rules.HOT_WINDOW).
HOT_KEEP_HOURS = 96


@dataclass(frozen=True)
class VideoCounts:
    views: int = 0
    likes: int = 0
    dislikes: int = 0
    watch_ms: int = 0

    def plus(self, other: VideoCounts) -> VideoCounts:
        return VideoCounts(
            self.views + other.views,
            self.likes + other.likes,
            self.dislikes + other.dislikes,
            self.watch_ms + other.watch_ms,
        )


@dataclass(frozen=True)
class CommentCounts:
    likes: int = 0
    dislikes: int = 0


@dataclass
class CounterDeltas:
    """Increments to apply together: zero entries are allowed and skipped."""

    videos: Counter[tuple[uuid.UUID, str]] = field(default_factory=Counter)  # (video, field)
    clips: Counter[tuple[uuid.UUID, int]] = field(default_factory=Counter)  # (video, clip)
    hours: Counter[tuple[uuid.UUID, int]] = field(default_factory=Counter)  # (video, hour)
    hot: defaultdict[tuple[str, int, uuid.UUID], float] = field(
        default_factory=lambda: defaultdict(float)
    )  # (scope, hour, video)
    comments: Counter[tuple[uuid.UUID, uuid.UUID, str]] = field(
        default_factory=Counter
    )  # (video, comment, field)

    def is_empty(self) -> bool:
        parts: list[dict[Any, Any]] = [self.videos, self.clips, self.hours, self.hot, self.comments]
        return not any(any(part.values()) for part in parts)

    def video_counts(self, video_id: uuid.UUID) -> VideoCounts:
        return VideoCounts(*(int(self.videos[(video_id, name)]) for name in VIDEO_FIELDS))

    def add(self, other: CounterDeltas) -> None:
        self.videos.update(other.videos)
        self.clips.update(other.clips)
        self.hours.update(other.hours)
        for key, score in other.hot.items():
            self.hot[key] += score
        self.comments.update(other.comments)

    def to_json(self) -> dict[str, Any]:
        """Grouped by video, so reading it back parses each video id once (a batch of clip
        views has one entry per clip)."""
        out: dict[str, Any] = {"videos": {}, "clips": {}, "hours": {}, "comments": {}}
        for (v, f), n in self.videos.items():
            if n:
                out["videos"].setdefault(str(v), {})[f] = n
        for name, part in (("clips", self.clips), ("hours", self.hours)):
            for (v, at), n in part.items():
                if n:
                    out[name].setdefault(str(v), []).append([at, n])
        for (v, c, f), n in self.comments.items():
            if n:
                out["comments"].setdefault(str(v), []).append([str(c), f, n])
        out["hot"] = [[s, h, str(v), n] for (s, h, v), n in self.hot.items() if n]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CounterDeltas:
        out = cls()
        for v, fields in data["videos"].items():
            video = uuid.UUID(v)
            for f, n in fields.items():
                out.videos[(video, f)] += n
        for name, part in (("clips", out.clips), ("hours", out.hours)):
            for v, pairs in data[name].items():
                video = uuid.UUID(v)
                for at, n in pairs:
                    part[(video, at)] += n
        for v, triples in data["comments"].items():
            video = uuid.UUID(v)
            for c, f, n in triples:
                out.comments[(video, uuid.UUID(c), f)] += n
        videos: dict[str, uuid.UUID] = {}
        for s, h, v, n in data["hot"]:
            video = videos.get(v) or videos.setdefault(v, uuid.UUID(v))
            out.hot[(s, h, video)] += n
        return out


@dataclass
class CounterTotals:
    """Every counter's absolute value, as recomputed from SQL by `clipcast counters rebuild`."""

    videos: dict[uuid.UUID, VideoCounts] = field(default_factory=dict)
    clips: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)
    hours: dict[tuple[uuid.UUID, int], int] = field(default_factory=dict)
    hot: dict[tuple[str, int, uuid.UUID], float] = field(default_factory=dict)
    comments: dict[uuid.UUID, tuple[uuid.UUID, CommentCounts]] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Counts of some videos and comments, and which of some batch ids are applied, read
    atomically (read-your-writes adds what the unapplied ones will add)."""

    videos: dict[uuid.UUID, VideoCounts]
    applied: frozenset[uuid.UUID]
    comments: dict[uuid.UUID, CommentCounts] = field(default_factory=dict)


class Counters(Protocol):
    """Popularity counters; SQL tables (embedded) or Redis (scaled)."""

    async def apply(self, batch_id: uuid.UUID, deltas: CounterDeltas) -> bool:
        """Apply every increment and record `batch_id`, atomically; a known id changes nothing.
        Returns whether the batch was applied now. Raises on a store outage (retry later)."""

    async def apply_many(self, batches: Mapping[uuid.UUID, CounterDeltas]) -> set[uuid.UUID]:
        """`apply` for several batches in one go (each still at most once, atomically with
        its id); returns the ids applied now."""

    async def snapshot(
        self,
        video_ids: list[uuid.UUID],
        batch_ids: list[uuid.UUID],
        comment_ids: list[uuid.UUID] | None = None,
    ) -> Snapshot:
        """The counts of videos (and comments) and which batch ids are applied, as of one
        instant. Absent videos and comments count zero (comments with no votes are left out)."""

    async def clip_views(self, video_id: uuid.UUID) -> dict[int, int]:
        """Viewers that reached each clip index (the retention curve); absent clips are 0."""

    async def views_by_hour(
        self, video_id: uuid.UUID, first_hour: int, last_hour: int
    ) -> dict[int, int]:
        """Views counted in each hour (hours since the epoch) from first to last, inclusive."""

    async def hot(
        self, scope: str, weights: dict[int, float], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        """Top videos of a scope by Σ bucket score × weight (hour → weight), best first."""

    async def comment_counts(self, comment_ids: list[uuid.UUID]) -> dict[uuid.UUID, CommentCounts]:
        """Likes and dislikes of each comment (absent: zero)."""

    async def popular_comments(
        self, video_id: uuid.UUID, offset: int, limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        """A video's comments by likes − dislikes, best first (ties by comment id)."""

    async def forget_video(self, video_id: uuid.UUID) -> None:
        """Drop a deleted video's counters (hot buckets forget it as they expire)."""

    async def forget_comment(self, video_id: uuid.UUID, comment_id: uuid.UUID) -> None:
        """Drop a deleted comment's counts and its place in the popular set."""

    async def replace_all(self, totals: CounterTotals, applied: set[uuid.UUID]) -> None:
        """Wipe every counter and write `totals`; mark `applied` batch ids as applied."""

    async def prune(self, *, now: datetime, hot_hours: int) -> None:
        """Forget hot buckets more than `hot_hours` old and applied ids past their time
        (Redis expires both by itself)."""

    async def check(self) -> None:
        """Raise if the store cannot be reached (for /readyz)."""

    async def close(self) -> None:
        """Release connections."""
