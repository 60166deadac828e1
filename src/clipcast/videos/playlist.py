"""HLS master and media playlists built from clips rows (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlaylistRendition:
    resolution: int  # 0 = audio only
    width: int
    height: int
    bandwidth: int
    average_bandwidth: int
    codecs: str
    frame_rate: float | None


@dataclass(frozen=True, slots=True)
class PlaylistClip:
    index: int
    duration: float


def rendition_dir(resolution: int) -> str:
    return "audio" if resolution == 0 else f"{resolution}p"


def clip_name(index: int) -> str:
    return f"{index:06d}.m4s"


def master_playlist(renditions: Sequence[PlaylistRendition]) -> str:
    """Variants from highest to lowest bandwidth; URIs relative to the master."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in sorted(renditions, key=lambda r: r.bandwidth, reverse=True):
        attrs = [
            f"BANDWIDTH={r.bandwidth}",
            f"AVERAGE-BANDWIDTH={r.average_bandwidth}",
            f'CODECS="{r.codecs}"',
        ]
        if r.resolution:
            attrs.append(f"RESOLUTION={r.width}x{r.height}")
        if r.frame_rate:
            attrs.append(f"FRAME-RATE={r.frame_rate:.3f}")
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(f"{rendition_dir(r.resolution)}/index.m3u8")
    return "\n".join(lines) + "\n"


def media_playlist(clips: Sequence[PlaylistClip], clip_seconds: int) -> str:
    """A VOD media playlist whose target duration is the longest clip, rounded up (RFC 8216)."""
    target = max([clip_seconds, *(math.ceil(c.duration - 1e-3) for c in clips)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for clip in sorted(clips, key=lambda c: c.index):
        lines.append(f"#EXTINF:{clip.duration:.5f},")
        lines.append(clip_name(clip.index))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
