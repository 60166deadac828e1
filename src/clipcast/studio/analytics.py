"""A video's analytics for its owner: totals, views over time and the retention curve, read
from activity's counters with the owner's own not-yet-applied events included."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import reads, rules
from clipcast.adapters.counters.base import CounterDeltas, Counters, VideoCounts
from clipcast.core.errors import NotFound
from clipcast.studio import series
from clipcast.videos.access import visible_video

Sessions = async_sessionmaker[AsyncSession]
# Tries at reading the curves unchanged around the snapshot (see _owner_view).
MAX_TRIES = 5


@dataclass(frozen=True)
class Curves:
    """Viewers reaching each clip (clip → n) and views per hour (hour → n) of one video."""

    clips: Mapping[int, int]
    hours: Mapping[int, int]


@dataclass(frozen=True)
class Analytics:
    video_id: uuid.UUID
    title: str
    duration: float | None
    created_at: datetime
    counts: VideoCounts
    window: series.Window
    views_over_time: list[series.Point]
    clip_seconds: int
    retention: list[int]  # viewers that reached clip i, for every clip of the video


async def video_analytics(
    *,
    sessions: Sessions,
    counters: Counters,
    video_id: uuid.UUID,
    user_id: uuid.UUID | None,
    bucket: series.Bucket,
    span: int | None,
    clip_seconds: int,
    now: datetime,
) -> Analytics:
    """The analytics of a video owned by `user_id`; NotFound for anyone else, as for a
    missing video (who owns what is not revealed)."""
    win = series.window(bucket, span, now)
    async with sessions() as session:
        video = await visible_video(session, video_id, user_id)
        if user_id is None or video.owner_id != user_id:
            raise NotFound("No such video.", code="video_not_found")
        title, duration, created_at = video.title, video.duration, video.created_at
    counts, curves = await _owner_view(sessions, counters, video_id, user_id, win, clip_seconds)
    clips = _clip_count(duration, clip_seconds, curves.clips)
    return Analytics(
        video_id=video_id,
        title=title,
        duration=duration,
        created_at=created_at,
        counts=counts,
        window=win,
        views_over_time=series.points(win, curves.hours),
        clip_seconds=clip_seconds,
        retention=[curves.clips.get(i, 0) for i in range(clips)],
    )


def _clip_count(duration: float | None, clip_seconds: int, reached: Mapping[int, int]) -> int:
    """Clips of the video (as activity counts them; from what was reached while its length
    is unknown)."""
    known = rules.clip_count(duration, clip_seconds) if duration else 0
    return max(known, max(reached, default=-1) + 1)


async def _owner_view(
    sessions: Sessions,
    counters: Counters,
    video_id: uuid.UUID,
    owner_id: uuid.UUID,
    win: series.Window,
    clip_seconds: int,
) -> tuple[VideoCounts, Curves]:
    """Totals and curves as the owner should see them: their own batches still on the way
    added (activity's read-your-writes). Totals come from reads.own_view's atomic snapshot;
    the curves are separate reads, so when the owner has batches to add to them they are read
    on both sides of the snapshot: two equal reads are the curves as of the snapshot, so a
    batch applied meanwhile is neither missed nor counted twice."""
    wanted = reads.Wanted(videos=frozenset({video_id}))

    async def own() -> reads.Own:
        return await reads.own_view(
            sessions=sessions,
            counters=counters,
            viewer_id=owner_id,
            wanted=wanted,
            clip_seconds=clip_seconds,
        )

    view = await own()
    if not _adds_to_curves(view.extra, video_id):
        return view.video(video_id), await _curves(counters, video_id, win)
    for _ in range(MAX_TRIES):
        before = await _curves(counters, video_id, win)
        view = await own()
        after = await _curves(counters, video_id, win)
        if before == after:
            break
    return view.video(video_id), _plus(after, view.extra, video_id)


async def _curves(counters: Counters, video_id: uuid.UUID, win: series.Window) -> Curves:
    clips = await counters.clip_views(video_id)
    hours = await counters.views_by_hour(video_id, win.first_hour, win.last_hour)
    return Curves(clips, hours)


def _adds_to_curves(extra: CounterDeltas, video_id: uuid.UUID) -> bool:
    return any(v == video_id and n for (v, _), n in (*extra.clips.items(), *extra.hours.items()))


def _plus(curves: Curves, extra: CounterDeltas, video_id: uuid.UUID) -> Curves:
    clips, hours = dict(curves.clips), dict(curves.hours)
    for (video, clip), n in extra.clips.items():
        if video == video_id:
            clips[clip] = clips.get(clip, 0) + n
    for (video, hour), n in extra.hours.items():
        if video == video_id:
            hours[hour] = hours.get(hour, 0) + n
    return Curves(clips, hours)
