"""Where a live feed is cut into clips: at keyframes, as close to every 2 seconds as the feed's
keyframes allow (pure; fragments in, clips out).

Clip boundaries follow a grid from the feed's first fragment (0, 2, 4 … s): a clip ends at the
first keyframe at or after the next grid line (less a small tolerance, since browser clocks
jitter), so clips average the target length even when keyframes do not fall on the grid (a
browser's H.264 has one every ~0.6 s). With keyframes forced every 2 s (our transcodes, a
well-set encoder) every clip is one fragment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from clipcast.live.fragments import Fragment


class ClipTooLong(Exception):
    """No keyframe came for too long (or too many bytes): the feed cannot be cut into clips."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CutClip:
    start: float  # seconds on the feed's own timeline
    duration: float
    data: bytes  # one or more moof + mdat, opening on a keyframe

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class CutRules:
    target: float = 2.0
    tolerance: float = 0.25  # a keyframe this much before a grid line still cuts there
    min_seconds: float = 1.0  # never a clip shorter than this (but the last)
    max_seconds: float = 10.0  # a clip still open this long means keyframes are missing
    max_bytes: int = 64 * 1024**2


@dataclass
class Cutter:
    """Groups one rendition's fragments into clips; every rendition of a feed with the same
    keyframe times is cut at the same places."""

    rules: CutRules
    _pending: list[Fragment] = field(default_factory=list)
    _bytes: int = 0
    _origin: float | None = None
    _boundary: float = 0.0

    def push(self, fragment: Fragment) -> CutClip | None:
        """Take the next fragment; returns the clip it completes, if it does.

        The segmenter starts a fragment at every keyframe and nowhere else, so a fragment's
        end is the next keyframe: a clip is complete as soon as a fragment reaches the grid
        line, without waiting for the next one. Fragments that do not open on a keyframe
        cannot start a clip (nothing could decode them) and are dropped."""
        if not self._pending and not fragment.keyframe:
            return None
        if self._origin is None:
            self._origin = fragment.start
            self._boundary = fragment.start + self.rules.target
        self._pending.append(fragment)
        self._bytes += len(fragment.data)
        self._check_size(fragment)
        return self._cut() if self._complete(fragment) else None

    def flush(self) -> CutClip | None:
        """The clip in progress, however short (the feed ended)."""
        return self._cut() if self._pending else None

    def _complete(self, last: Fragment) -> bool:
        rules = self.rules
        long_enough = last.end - self._pending[0].start >= rules.min_seconds
        return long_enough and last.end >= self._boundary - rules.tolerance

    def _cut(self) -> CutClip:
        first, last = self._pending[0], self._pending[-1]
        clip = CutClip(
            start=first.start,
            duration=max(last.end - first.start, 0.0),
            data=b"".join(f.data for f in self._pending),
        )
        self._pending, self._bytes = [], 0
        assert self._origin is not None
        rules = self.rules
        lines = math.floor((clip.end - self._origin + rules.tolerance) / rules.target)
        self._boundary = self._origin + (lines + 1) * rules.target
        return clip

    def _check_size(self, fragment: Fragment) -> None:
        open_for = fragment.end - self._pending[0].start
        if open_for > self.rules.max_seconds:
            raise ClipTooLong(
                f"No keyframe for {open_for:.0f} s: set your encoder's keyframe interval to "
                f"{self.rules.target:g} s."
            )
        if self._bytes > self.rules.max_bytes:
            raise ClipTooLong(
                f"Over {self.rules.max_bytes // 1024**2} MB without a keyframe: lower the "
                f"bitrate or set the keyframe interval to {self.rules.target:g} s."
            )
