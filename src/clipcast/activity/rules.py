"""The rules of activity (pure): when a view counts, what a like change does to the counts,
which of two writes wins, how the hot sets decay.

Every rule here is commutative and idempotent on its state, so a batch delivered twice, or
batches applied in any order, end in the same state and the same counts:

- a clip is *reached* once per viewer, video and clock hour (a set of clip indices);
- a *view* counts once per viewer, video and clock hour, when the clips reached in that hour
  reach the threshold (2 clips, or half of a video shorter than 4 clips, rounded up);
- set-state writes (like/dislike/clear, resume position) are last-writer-wins on
  (event time, client event id), so the newest write wins whatever arrives first.
"""

from __future__ import annotations

import math
from enum import StrEnum

from clipcast.adapters.counters.base import HOT_KEEP_HOURS

HOUR_MS = 3_600_000
# A view needs this many clips (2-s clips: 4 s of watching) in one clock hour...
VIEW_CLIPS = 2
# ...and the hot sets weigh the last HOT_WINDOW_HOURS, halving every HOT_HALF_LIFE_HOURS.
HOT_WINDOW_HOURS = 72
HOT_HALF_LIFE_HOURS = 12.0
HOT_VIEW = 1.0
HOT_LIKE = 3.0
GLOBAL_SCOPE = "all"

assert HOT_WINDOW_HOURS < HOT_KEEP_HOURS  # the store keeps every bucket a reader weighs


class Action(StrEnum):
    CLIP_VIEW = "clip_view"
    PAGE_LEAVE = "page_leave"
    LIKE = "like"
    DISLIKE = "dislike"
    CLEAR = "clear"  # of a video's reaction, or of a comment's when it names a comment
    COMMENT_LIKE = "comment_like"
    COMMENT_DISLIKE = "comment_dislike"


# Reactions need an account: anonymous viewers may only watch.
SIGNED_IN_ONLY = frozenset(
    {Action.LIKE, Action.DISLIKE, Action.CLEAR, Action.COMMENT_LIKE, Action.COMMENT_DISLIKE}
)


class Reaction(StrEnum):
    NONE = "none"
    LIKE = "like"
    DISLIKE = "dislike"


Stamp = tuple[int, str]  # (event time in ms, client event id): the order writes win in


def reaction_of(action: Action) -> Reaction:
    if action in (Action.LIKE, Action.COMMENT_LIKE):
        return Reaction.LIKE
    if action in (Action.DISLIKE, Action.COMMENT_DISLIKE):
        return Reaction.DISLIKE
    return Reaction.NONE


def wins(new: Stamp, old: Stamp | None) -> bool:
    """Whether a write stamped `new` replaces one stamped `old` (equal: the same write)."""
    return old is None or new > old


def reaction_delta(old: Reaction, new: Reaction) -> tuple[int, int]:
    """(likes, dislikes) moves of a state change: each is −1, 0 or +1."""
    likes = (new is Reaction.LIKE) - (old is Reaction.LIKE)
    dislikes = (new is Reaction.DISLIKE) - (old is Reaction.DISLIKE)
    return likes, dislikes


def clip_count(duration: float, clip_seconds: int) -> int:
    """How many clips a video of `duration` seconds has (the last may be short)."""
    return max(1, math.ceil(duration / clip_seconds - 1e-9))


def view_threshold(clips: int) -> int:
    """Clips to reach in an hour for a view: 2, or half of a shorter video (rounded up)."""
    return min(VIEW_CLIPS, math.ceil(clips / 2))


def clip_ms(index: int, duration: float, clip_seconds: int) -> int:
    """Milliseconds of video in clip `index`."""
    start = index * clip_seconds
    return max(0, round(min(clip_seconds, duration - start) * 1000))


def hour_of(ts_ms: int) -> int:
    """The clock hour (hours since the Unix epoch) an event time falls in."""
    return ts_ms // HOUR_MS


def hot_scopes(tags: list[str]) -> list[str]:
    return [GLOBAL_SCOPE, *(f"tag:{tag}" for tag in tags)]


def hot_weights(now_hour: int) -> dict[int, float]:
    """Weight of each hourly bucket a hot read sums: 1 for this hour, halving every half-life."""
    return {now_hour - age: 0.5 ** (age / HOT_HALF_LIFE_HOURS) for age in range(HOT_WINDOW_HOURS)}


def has_clip(clips: int, index: int) -> bool:
    """`clips` is a set of clip indices kept as the bits of an int."""
    return bool(clips >> index & 1)


def with_clip(clips: int, index: int) -> int:
    return clips | 1 << index


def progress(position: float, duration: float) -> float:
    """How far into the video a position is, 0–1."""
    if duration <= 0:
        return 0.0
    return max(0.0, min(1.0, position / duration))
