"""User taste tags (pure): what a user's watches, likes, dislikes and comments say they like,
weighted, decayed with age, and the user's own edits (mutes) applied."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from clipcast.recommendations.decay import decay_since

TASTE_HALF_LIFE_SECONDS = 30 * 24 * 3600.0
MAX_TASTE_TAGS = 30
# A finished watch is the baseline; a like says more, a comment a little more than a watch,
# a dislike pushes the video's tags down. A watch counts by how much of the video was seen.
WATCH_WEIGHT = 1.0
LIKE_WEIGHT = 2.0
COMMENT_WEIGHT = 1.5
DISLIKE_WEIGHT = -2.0
# Below this share of a video watched, the watch says nothing about taste (a bounce).
MIN_COMPLETION = 0.2


class Signal(StrEnum):
    WATCH = "watch"
    LIKE = "like"
    DISLIKE = "dislike"
    COMMENT = "comment"


@dataclass(frozen=True)
class Interaction:
    video: Hashable
    signal: Signal
    at: datetime
    completion: float = 1.0  # share of the video watched (WATCH only)


def signal_weight(interaction: Interaction) -> float:
    match interaction.signal:
        case Signal.WATCH:
            done = max(0.0, min(interaction.completion, 1.0))
            return WATCH_WEIGHT * done if done >= MIN_COMPLETION else 0.0
        case Signal.LIKE:
            return LIKE_WEIGHT
        case Signal.DISLIKE:
            return DISLIKE_WEIGHT
        case Signal.COMMENT:
            return COMMENT_WEIGHT


def taste_tags(
    interactions: Iterable[Interaction],
    video_tags: Mapping[Hashable, Mapping[str, float]],
    *,
    now: datetime,
    muted: Iterable[str] = (),
    half_life_seconds: float = TASTE_HALF_LIFE_SECONDS,
    limit: int = MAX_TASTE_TAGS,
) -> dict[str, float]:
    """Tag → weight in (0, 1], the heaviest `limit`, heaviest first (ties by name). Each
    interaction adds signal × decay × the video's tag weight; tags that end at or below zero
    (disliked more than liked) and muted tags are left out."""
    totals: dict[str, float] = {}
    for interaction in interactions:
        weight = signal_weight(interaction) * decay_since(interaction.at, now, half_life_seconds)
        if weight == 0:
            continue
        for tag, tag_weight in video_tags.get(interaction.video, {}).items():
            totals[tag] = totals.get(tag, 0.0) + weight * tag_weight
    silenced = set(muted)
    kept = [(t, w) for t, w in totals.items() if w > 0 and t not in silenced]
    kept.sort(key=lambda tw: (-tw[1], tw[0]))
    kept = kept[:limit]
    top = kept[0][1] if kept else 1.0
    return {tag: round(weight / top, 4) for tag, weight in kept}


def feedback_weight(*, completion: float, liked: bool, disliked: bool, commented: bool) -> float:
    """A user × video cell of the collaborative model's input: 1 for a real watch, a like or
    a comment; 0 for a disliked video or a bounce (implicit feedback is binary here: the
    validation split preferred it to graded weights)."""
    if disliked:
        return 0.0
    return 1.0 if liked or commented or completion >= MIN_COMPLETION else 0.0


@dataclass(frozen=True)
class TagEdit:
    """What the user said about a tag: muted ("not interested"), or added by hand."""

    muted: bool = False
    added: bool = False


def apply_edits(computed: Mapping[str, float], edits: Mapping[str, TagEdit]) -> dict[str, float]:
    """Computed taste with the user's word on top: muted tags gone, added tags at full weight."""
    out = {t: w for t, w in computed.items() if not edits.get(t, TagEdit()).muted}
    for tag, edit in edits.items():
        if edit.added and not edit.muted:
            out[tag] = 1.0
    return dict(sorted(out.items(), key=lambda tw: (-tw[1], tw[0])))
