"""HLS master and media playlists built from clips rows (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

AUDIO_GROUP = "aud"


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
    """Variants from highest to lowest bandwidth; URIs relative to the master.

    The pictures are video only and share one audio rendition (resolution 0), listed as the
    audio group every variant plays with; each variant's BANDWIDTH and CODECS count it in, as
    RFC 8216 asks. A source without pictures has the audio playlist as its only variant.
    """
    audio = next((r for r in renditions if r.resolution == 0), None)
    video = [r for r in renditions if r.resolution != 0]
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if not video:
        return "\n".join(lines + (_variant(audio, None) if audio else [])) + "\n"
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="audio",'
            f'DEFAULT=YES,AUTOSELECT=YES,URI="{rendition_dir(0)}/index.m3u8"'
        )
    for r in sorted(video, key=lambda r: r.bandwidth, reverse=True):
        lines += _variant(r, audio)
    return "\n".join(lines) + "\n"


def _variant(r: PlaylistRendition, audio: PlaylistRendition | None) -> list[str]:
    """`#EXT-X-STREAM-INF` and URI of `r`, playing with the `audio` group if there is one."""
    bandwidth, average, codecs = r.bandwidth, r.average_bandwidth, r.codecs
    if audio is not None:
        bandwidth, average = bandwidth + audio.bandwidth, average + audio.average_bandwidth
        codecs = f"{codecs},{audio.codecs}"
    attrs = [f"BANDWIDTH={bandwidth}", f"AVERAGE-BANDWIDTH={average}", f'CODECS="{codecs}"']
    if r.resolution:
        attrs.append(f"RESOLUTION={r.width}x{r.height}")
    if r.frame_rate:
        attrs.append(f"FRAME-RATE={r.frame_rate:.3f}")
    if audio is not None:
        attrs.append(f'AUDIO="{AUDIO_GROUP}"')
    return ["#EXT-X-STREAM-INF:" + ",".join(attrs), f"{rendition_dir(r.resolution)}/index.m3u8"]


def media_playlist(clips: Sequence[PlaylistClip], clip_seconds: int, *, ended: bool = True) -> str:
    """A media playlist whose target duration is the longest clip, rounded up (RFC 8216).

    `ended` False makes an EVENT playlist of the clips published so far while the rest are
    still being encoded: players reload it and play on as it grows; the VOD playlist that
    replaces it at the end lists the same clips first. EXT-X-START asks players to begin at
    the start, as for a video, not at the newest clip as they would for a live stream.
    """
    target = max([clip_seconds, *(math.ceil(c.duration - 1e-3) for c in clips)])
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if ended else 'EVENT'}",
        *(() if ended else ("#EXT-X-START:TIME-OFFSET=0,PRECISE=YES",)),
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for clip in sorted(clips, key=lambda c: c.index):
        lines.append(f"#EXTINF:{clip.duration:.5f},")
        lines.append(clip_name(clip.index))
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
