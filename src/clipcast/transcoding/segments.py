"""Reading the media playlist ffmpeg's HLS muxer wrote, and bandwidth figures (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EncodedClip:
    index: int
    filename: str
    offset: float  # seconds from the start of the video
    duration: float  # seconds


class PlaylistError(ValueError):
    """ffmpeg wrote a playlist we cannot read: a bug or a truncated run, never user input."""


def parse_media_playlist(text: str, *, finished: bool = True) -> list[EncodedClip]:
    """Clips in playlist order; offsets are the sums of the durations before each clip.

    ffmpeg rewrites the playlist (an EVENT playlist) after each clip it closes, so while it
    runs the playlist lists the clips finished so far; `finished` asks for the final one.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise PlaylistError("not an HLS playlist")
    clips: list[EncodedClip] = []
    offset = 0.0
    pending: float | None = None
    for line in lines[1:]:
        if line.startswith("#EXTINF:"):
            pending = _extinf_duration(line)
        elif not line.startswith("#"):
            if pending is None:
                raise PlaylistError(f"segment {line!r} has no #EXTINF")
            if "/" in line or "\\" in line or line in (".", ".."):
                raise PlaylistError(f"segment {line!r} is not a plain file name")
            clips.append(EncodedClip(len(clips), line, round(offset, 6), pending))
            offset += pending
            pending = None
    if finished and "#EXT-X-ENDLIST" not in lines:
        raise PlaylistError("the playlist is unfinished (no #EXT-X-ENDLIST)")
    return clips


def _extinf_duration(line: str) -> float:
    value = line.removeprefix("#EXTINF:").split(",", 1)[0]
    try:
        duration = float(value)
    except ValueError:
        raise PlaylistError(f"bad #EXTINF duration {value!r}") from None
    if not math.isfinite(duration) or duration <= 0:
        raise PlaylistError(f"bad #EXTINF duration {value!r}")
    return duration


def average_bandwidth(sizes: Sequence[int], durations: Sequence[float]) -> int:
    """Bits per second over the whole rendition (AVERAGE-BANDWIDTH)."""
    total = sum(durations)
    return math.ceil(sum(sizes) * 8 / total) if total > 0 else 0


def peak_bandwidth(sizes: Sequence[int], durations: Sequence[float], target: float) -> int:
    """BANDWIDTH as RFC 8216 §4.3.4.2 defines it: the highest bit rate of any run of
    consecutive clips lasting 0.5–1.5× the target duration.

    A short last clip is thus judged together with its neighbour, not inflated on its own.
    """
    best = 0.0
    for start in range(len(sizes)):
        bits, seconds = 0, 0.0
        for size, duration in zip(sizes[start:], durations[start:], strict=True):
            bits, seconds = bits + size * 8, seconds + duration
            if seconds > 1.5 * target:
                break
            if seconds >= 0.5 * target:
                best = max(best, bits / seconds)
    if best == 0.0:  # the whole video is shorter than half a clip
        return average_bandwidth(sizes, durations)
    return math.ceil(best)
