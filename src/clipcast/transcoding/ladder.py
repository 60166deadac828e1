"""The rendition ladder: which sizes and bitrates a source is encoded to (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

AUDIO_ONLY = "audio"
_AUDIO_ONLY_BITRATE = 128_000
_SMALL_AUDIO_BITRATE = 96_000  # stereo AAC for the small rungs a phone on a weak link picks
_LARGE_AUDIO_BITRATE = 128_000
_SMALL_RUNG = 360
# video bits/s ≈ _BITRATE_SCALE × pixels^0.75 at 30 fps: 240p ≈ 0.5, 720p ≈ 2.7, 1080p ≈ 5 Mb/s,
# close to the bitrates YouTube streams H.264 at.
_BITRATE_SCALE = 91.0
_BITRATE_EXPONENT = 0.75


@dataclass(frozen=True)
class Rung:
    """One rendition: `resolution` is the short side (0 for audio only); sizes are even."""

    name: str
    resolution: int
    width: int
    height: int
    video_bitrate: int  # bits/s, the nominal average
    maxrate: int  # bits/s, the VBV cap on top of CRF
    bufsize: int  # bits
    audio_bitrate: int  # bits/s; 0 when the source is silent

    @property
    def has_video(self) -> bool:
        return self.resolution > 0


def build_ladder(
    width: int,
    height: int,
    has_video: bool,
    has_audio: bool,
    ladder: Sequence[int],
    *,
    fps: float = 30.0,
) -> list[Rung]:
    """Rungs for a source of `width`×`height` as displayed, lowest first; never upscaled."""
    if not has_video:
        if not has_audio:
            raise ValueError("a source with neither video nor audio has no ladder")
        return [Rung(AUDIO_ONLY, 0, 0, 0, 0, 0, 0, _AUDIO_ONLY_BITRATE)]
    short = min(width, height)
    targets = sorted({_even_floor(r) for r in ladder if 0 < r <= short})
    if not targets:
        targets = [_even_floor(short)]  # smaller than every rung: keep its own size
    return [_rung(width, height, target, has_audio, fps) for target in targets]


def _rung(width: int, height: int, short: int, has_audio: bool, fps: float) -> Rung:
    scale = short / min(width, height)
    long_side = min(_even_round(max(width, height) * scale), _even_floor(max(width, height)))
    w, h = (long_side, short) if width >= height else (short, long_side)
    bitrate = video_bitrate(w, h, fps)
    audio = (_SMALL_AUDIO_BITRATE if short <= _SMALL_RUNG else _LARGE_AUDIO_BITRATE) * has_audio
    return Rung(
        name=f"{short}p",
        resolution=short,
        width=w,
        height=h,
        video_bitrate=bitrate,
        maxrate=bitrate * 3 // 2,
        bufsize=bitrate * 2,
        audio_bitrate=audio,
    )


def video_bitrate(width: int, height: int, fps: float) -> int:
    """Nominal H.264 bitrate for this size: grows slower than the pixel count, +50% at 60 fps."""
    motion = 1.0 + 0.5 * (min(max(fps, 30.0), 60.0) - 30.0) / 30.0
    bits = _BITRATE_SCALE * math.pow(width * height, _BITRATE_EXPONENT) * motion
    return max(10_000, round(bits / 10_000) * 10_000)


def _even_floor(value: int) -> int:
    return max(2, value - value % 2)


def _even_round(value: float) -> int:
    return max(2, 2 * round(value / 2))
