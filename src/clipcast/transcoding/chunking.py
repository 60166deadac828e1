"""Cutting a long source into chunks of whole clips, and stitching their clips back (pure).

A chunk is a run of whole clips, so every chunk starts on a clip boundary: its first frame is
a keyframe anyway, and the clips of all chunks line up with those of an encode in one piece.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from clipcast.transcoding.rendition import ClipInfo

# Below 1.5 chunks, splitting buys little parallelism for the extra ffmpeg start and seek.
SPLIT_ABOVE = 1.5
# The probed duration is the longest stream's, so a sliver past the last whole chunk may hold
# no picture at all: a tail shorter than half a clip joins the chunk before it.
TAIL_MIN_CLIPS = 0.5
_EXACT = 1e-3  # seconds: playlists print durations to the microsecond
# Demuxers that seek through an index to a keyframe at or before the time asked, so a chunk's
# encode can start just before its chunk. MPEG-TS, FLV and Ogg seek by searching timestamps
# and may land past the keyframe a chunk needs (seen: an MPEG-TS chunk lost its first second),
# so those sources are encoded in one piece.
SEEKABLE_CONTAINERS = frozenset({"mov", "matroska", "avi"})


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int  # seconds from the start of the source; a whole number of clips
    end: int | None  # seconds; None for the last chunk, which runs to the end of the source
    first_clip: int  # index of its first clip in the whole rendition


@dataclass(frozen=True)
class PartClip:
    """A clip as one chunk's encode reports it: its index is already the global one."""

    index: int
    duration: float
    byte_size: int


class StitchError(ValueError):
    """The chunks do not join into one clean rendition (a gap, an overlap, a short clip)."""


def chunk_length(chunk_seconds: int, clip_seconds: int) -> int:
    """`chunk_seconds` rounded down to whole clips; 0 means chunking is off."""
    if clip_seconds <= 0 or chunk_seconds <= 0:
        return 0
    return chunk_seconds - chunk_seconds % clip_seconds


def plan_chunks(
    duration: float, *, clip_seconds: int, chunk_seconds: int, container: str = "mov"
) -> list[Chunk]:
    """The chunks of a source lasting `duration` seconds; [] to encode it in one piece."""
    length = chunk_length(chunk_seconds, clip_seconds)
    if container not in SEEKABLE_CONTAINERS or length == 0 or not math.isfinite(duration):
        return []
    if duration <= SPLIT_ABOVE * length:
        return []
    count = math.ceil(duration / length)
    if duration - (count - 1) * length < TAIL_MIN_CLIPS * clip_seconds:
        count -= 1
    clips_per_chunk = length // clip_seconds
    return [
        Chunk(
            index=k,
            start=k * length,
            end=None if k == count - 1 else (k + 1) * length,
            first_clip=k * clips_per_chunk,
        )
        for k in range(count)
    ]


def stitch(
    parts: Sequence[Sequence[PartClip]], *, clip_seconds: int, exact: bool
) -> list[ClipInfo]:
    """One rendition's clips from its chunks' clips, chunks in order.

    Indices must run on from 0 without a gap or an overlap; with `exact` (pictures, whose
    clips are whole GOPs of a constant frame rate) every clip but the very last lasts exactly
    `clip_seconds`, which is what makes each offset a multiple of it. Raises StitchError.
    """
    flat = [clip for part in parts for clip in part]
    if not flat:
        raise StitchError("no clips")
    out: list[ClipInfo] = []
    offset = 0.0
    for position, clip in enumerate(flat):
        if clip.index != position:
            raise StitchError(f"clip {position} expected, got clip {clip.index}")
        last = position == len(flat) - 1
        if exact and not last and abs(clip.duration - clip_seconds) > _EXACT:
            raise StitchError(f"clip {position} lasts {clip.duration:.6f} s")
        out.append(ClipInfo(clip.index, round(offset, 6), clip.duration, clip.byte_size))
        offset += clip.duration
    return out
