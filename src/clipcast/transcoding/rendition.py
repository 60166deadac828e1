"""What a published rendition is made of, wherever and in how many pieces it was encoded (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from clipcast.transcoding.ladder import Rung
from clipcast.transcoding.segments import average_bandwidth, peak_bandwidth


@dataclass(frozen=True)
class ClipInfo:
    index: int  # position in the whole rendition, from 0
    offset: float  # seconds from the start of the video
    duration: float  # seconds
    byte_size: int


@dataclass(frozen=True)
class RenditionSummary:
    """One rung as the playlists and the clips table describe it."""

    rung: Rung
    codecs: str  # RFC 6381, e.g. "avc1.64001f" or "mp4a.40.2"
    frame_rate: float | None  # None for audio
    clips: tuple[ClipInfo, ...]
    bandwidth: int  # peak bits/s (BANDWIDTH)
    average_bandwidth: int  # bits/s (AVERAGE-BANDWIDTH)


def summarize(
    rung: Rung,
    codecs: str,
    frame_rate: float | None,
    clips: Sequence[ClipInfo],
    clip_seconds: int,
) -> RenditionSummary:
    sizes = [c.byte_size for c in clips]
    durations = [c.duration for c in clips]
    target = max([clip_seconds, *(math.ceil(d - 1e-3) for d in durations)])
    return RenditionSummary(
        rung=rung,
        codecs=codecs,
        frame_rate=frame_rate if rung.has_video else None,
        clips=tuple(clips),
        bandwidth=peak_bandwidth(sizes, durations, target),
        average_bandwidth=average_bandwidth(sizes, durations),
    )
