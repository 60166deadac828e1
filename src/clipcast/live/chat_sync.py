"""When a live chat message is shown: when playback reaches the clip and offset its sender saw,
never before; where a message sent now sits in the stream; which claims are refused (pure).

A position is (clip index, seconds into that clip). Clip indexes only grow, so positions
compare as pairs, across interruptions too. live_chat_sync.js holds the same rule for pages.
"""

from __future__ import annotations

import bisect
import heapq
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

# A viewer's offset in its newest clip, measured from buffered media, may run a little past
# the clip's published duration, and its clock a little ahead of ours.
TOLERANCE_SECONDS = 0.25
# No clip is this many clip lengths long (the cutter closes a clip at the first keyframe after
# its length): an offset beyond it names no moment at all.
LONGEST_CLIP_FACTOR = 4


@dataclass(frozen=True, order=True, slots=True)
class Position:
    index: int
    offset: float  # seconds into the clip


def due(message: Position, playing: Position) -> bool:
    """A message is shown once playback is at or past the moment its sender saw."""
    return playing >= message


@dataclass(order=True)
class _Held(Generic[T]):
    at: Position
    seq: int
    key: str = field(compare=False)
    item: T = field(compare=False)


class SyncQueue(Generic[T]):
    """Messages held until playback reaches them, each released once (duplicates, from the
    socket and from clip documents, are dropped by id)."""

    def __init__(self) -> None:
        self._heap: list[_Held[T]] = []
        self._known: set[str] = set()
        self._dropped: set[str] = set()
        self._seq = 0

    def add(self, key: str, at: Position, item: T) -> bool:
        if key in self._known:
            return False
        self._known.add(key)
        self._seq += 1
        heapq.heappush(self._heap, _Held(at, self._seq, key, item))
        return True

    def drop(self, key: str) -> None:
        """A deleted message: never released (if it was, the page removes it)."""
        self._known.add(key)
        self._dropped.add(key)

    def release(self, playing: Position | None) -> list[T]:
        """Messages due at `playing`, in position order (nothing while nothing plays)."""
        out: list[T] = []
        while playing is not None and self._heap and due(self._heap[0].at, playing):
            held = heapq.heappop(self._heap)
            if held.key not in self._dropped:
                out.append(held.item)
        return out

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(frozen=True, slots=True)
class NewestClip:
    index: int
    wall_start: datetime  # its program date-time: when its first frame was captured
    duration: float


@dataclass(frozen=True, slots=True)
class Edge:
    """What the stream has published: the newest clip, and the newest index reserved (a clip
    being stored right now, whose document follows within moments)."""

    newest: NewestClip | None
    reserved: int  # -1 before any
    clip_seconds: float
    ended: bool = False


def stamp(edge: Edge, now: datetime) -> Position:
    """Where the moment `now` is being recorded: the position of a message whose sender sees
    the live picture itself (the streamer, or a viewer not playing yet)."""
    newest = edge.newest
    if newest is None:
        return Position(0, 0.0)
    since = (now - newest.wall_start).total_seconds()
    if since < newest.duration:
        return Position(newest.index, max(0.0, since))
    rest = since - newest.duration
    if rest < edge.clip_seconds:
        return Position(newest.index + 1, rest)
    if rest < 2 * edge.clip_seconds:  # the next clip recorded, not published yet
        return Position(newest.index + 2, rest - edge.clip_seconds)
    # The feed stalled: whatever comes next is the next clip, from its start.
    return Position(newest.index + 1, 0.0)


class Refusal(StrEnum):
    BAD_POSITION = "bad_position"
    OTHER_STREAM = "other_stream"
    FUTURE = "future"


def check_claim(
    stream_id: uuid.UUID, claimed_stream: uuid.UUID, claim: Position, edge: Edge, now: datetime
) -> Refusal | None:
    """Why a viewer's claimed position is refused: not a moment at all, a moment of another
    stream, or one no viewer can have seen yet (past the live edge). None: accepted."""
    if claimed_stream != stream_id:
        return Refusal.OTHER_STREAM
    longest = LONGEST_CLIP_FACTOR * edge.clip_seconds
    if claim.index < 0 or not math.isfinite(claim.offset) or not 0 <= claim.offset <= longest:
        return Refusal.BAD_POSITION
    if claim.index > edge.reserved or edge.newest is None:
        return Refusal.FUTURE
    newest = edge.newest
    if claim.index == newest.index and claim.offset > newest.duration + TOLERANCE_SECONDS:
        return Refusal.FUTURE
    if claim.index > newest.index:  # reserved, being published: it began when the newest ended
        recorded = (now - newest.wall_start).total_seconds() - newest.duration
        if claim.offset > recorded + TOLERANCE_SECONDS:
            return Refusal.FUTURE
    return None


@dataclass(frozen=True, slots=True)
class ClipTime:
    """A published clip's place in the recording (what the VOD's timeline is made of)."""

    index: int
    media_time: float
    duration: float


def vod_time(at: Position, clips: Sequence[ClipTime]) -> float:
    """Seconds into the recording where a message sent at `at` replays: its clip's start plus
    its offset (within the clip). A clip never published: the next one's start, or the end."""
    if not clips:
        return 0.0
    indexes = [c.index for c in clips]
    i = bisect.bisect_left(indexes, at.index)
    if i < len(clips) and clips[i].index == at.index:
        clip = clips[i]
        return clip.media_time + min(max(at.offset, 0.0), clip.duration)
    if i < len(clips):
        return clips[i].media_time
    last = clips[-1]
    return last.media_time + last.duration


def position_at(seconds: float, clips: Sequence[ClipTime]) -> Position:
    """The position playing `seconds` into the recording (the first clip's start before it):
    every message at or after it replays at or after `seconds`."""
    starts = [c.media_time for c in clips]
    i = bisect.bisect_right(starts, seconds) - 1
    if i < 0:
        return Position(clips[0].index if clips else 0, 0.0)
    return Position(clips[i].index, seconds - clips[i].media_time)
