"""What the thumbnailer reads: which renditions, which clips, and at which times (pure).

It reads our own published renditions, not the upload: they are H.264 we encoded (already
rotated, square pixels, constant frame rate, within every cap), and each 2-second clip decodes
on its own from a keyframe. So a poster candidate or a storyboard tile costs one clip download
and one keyframe decode, however long the video is, and the source is never parsed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clipcast.thumbnails.layout import PLAYER_BOX, PREVIEW_BOX, covers

CANDIDATES = 10
EDGE_MARGIN = 0.05  # intros and end cards (black, logos, credits) live in the first and last 5 %
SNIPPETS = 4
SNIPPET_SECONDS = 1.0
PREVIEW_FPS = 10


@dataclass(frozen=True, slots=True)
class RenditionRef:
    resolution: int
    width: int
    height: int
    init_key: str  # the object holding its init segment


@dataclass(frozen=True, slots=True)
class ClipRef:
    index: int
    offset: float  # seconds from the start of the video
    duration: float
    key: str  # the object holding the clip


def poster_rendition(renditions: Sequence[RenditionRef]) -> RenditionRef | None:
    """The smallest rendition that fills the player size, else the largest: never upscaled,
    and no more pixels decoded than the biggest poster needs."""
    return _smallest_covering(renditions, PLAYER_BOX)


def small_rendition(renditions: Sequence[RenditionRef]) -> RenditionRef | None:
    """The smallest rendition that fills the preview size: the storyboard and hover preview."""
    return _smallest_covering(renditions, PREVIEW_BOX)


def _smallest_covering(
    renditions: Sequence[RenditionRef], box: tuple[int, int]
) -> RenditionRef | None:
    video = sorted((r for r in renditions if r.resolution > 0), key=lambda r: r.width * r.height)
    if not video:
        return None
    return next((r for r in video if covers(r.width, r.height, box)), video[-1])


def clip_at(clips: Sequence[ClipRef], seconds: float) -> ClipRef:
    """The clip playing at `seconds` (the last one past the end); `clips` sorted by offset."""
    chosen = clips[0]
    for clip in clips:
        if clip.offset > seconds:
            break
        chosen = clip
    return chosen


def candidate_clips(
    clips: Sequence[ClipRef], duration: float, count: int = CANDIDATES
) -> list[ClipRef]:
    """Up to `count` distinct clips spread evenly over the video, its first and last 5 % left
    out; the candidate frame of each is its first (a keyframe, the best-coded frame)."""
    if not clips:
        return []
    low, high = duration * EDGE_MARGIN, duration * (1 - EDGE_MARGIN)
    times = [low + (high - low) * (i + 0.5) / count for i in range(count)]
    chosen = {clip_at(clips, t).index: clip_at(clips, t) for t in times}
    return sorted(chosen.values(), key=lambda c: c.index)


def snippet_clips(
    ranked: Sequence[int], clips: Sequence[ClipRef], count: int = SNIPPETS
) -> list[ClipRef]:
    """The clips the hover preview shows a second of, in the order they play: those at the
    best-ranked candidates' clip indices first (so the preview skips black and blurred parts),
    then, for a short video, any others."""
    by_index = {c.index: c for c in clips}
    chosen = [by_index[i] for i in dict.fromkeys(ranked) if i in by_index][:count]
    chosen += [c for c in clips if c not in chosen][: count - len(chosen)]
    return sorted(chosen, key=lambda c: c.index)
