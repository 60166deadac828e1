"""The rendition ladder: which sizes and bitrates a source is encoded to (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

AUDIO_ONLY = "audio"
# One stereo AAC rendition serves every picture size: encoded once, it has no joins to click at
# when the pictures are encoded in chunks, and 128 kb/s is a small share of even the 240p rung.
AUDIO_BITRATE = 128_000
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
    audio_bitrate: int  # bits/s; 0 for a picture rung (its sound is the audio rendition's)

    @property
    def has_video(self) -> bool:
        return self.resolution > 0


AUDIO_RUNG = Rung(AUDIO_ONLY, 0, 0, 0, 0, 0, 0, AUDIO_BITRATE)


@dataclass(frozen=True)
class Ladder:
    """Picture rungs (video only, lowest first) and the one audio rendition they all play with."""

    video: tuple[Rung, ...]
    audio: Rung | None

    @property
    def first(self) -> list[Rung]:
        """What makes the video playable: the lowest picture rung and the sound."""
        return [*self.video[:1], *([self.audio] if self.audio else [])]

    @property
    def rest(self) -> list[Rung]:
        return list(self.video[1:])

    @property
    def all(self) -> list[Rung]:
        return [*self.video, *([self.audio] if self.audio else [])]


def build_ladder(
    width: int,
    height: int,
    has_video: bool,
    has_audio: bool,
    ladder: Sequence[int],
    *,
    fps: float = 30.0,
) -> Ladder:
    """Rungs for a source of `width`×`height` as displayed, lowest first; never upscaled."""
    audio = AUDIO_RUNG if has_audio else None
    if not has_video:
        if audio is None:
            raise ValueError("a source with neither video nor audio has no ladder")
        return Ladder((), audio)
    short = min(width, height)
    targets = sorted({_even_floor(r) for r in ladder if 0 < r <= short})
    if not targets:
        targets = [_even_floor(short)]  # smaller than every rung: keep its own size
    return Ladder(tuple(_rung(width, height, target, fps) for target in targets), audio)


def _rung(width: int, height: int, short: int, fps: float) -> Rung:
    scale = short / min(width, height)
    long_side = min(_even_round(max(width, height) * scale), _even_floor(max(width, height)))
    w, h = (long_side, short) if width >= height else (short, long_side)
    bitrate = video_bitrate(w, h, fps)
    return Rung(
        name=f"{short}p",
        resolution=short,
        width=w,
        height=h,
        video_bitrate=bitrate,
        maxrate=bitrate * 3 // 2,
        bufsize=bitrate * 2,
        audio_bitrate=0,
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
