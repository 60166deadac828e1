"""Choosing the poster among candidate frames from their picture statistics (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Luma is 0–255 (full range, as decoded to RGB). Fades, black intros and white title cards sit
# at the ends; a frame this dark or bright reads as "nothing" in a grid of cards.
DARK_LUMA = 28.0
BRIGHT_LUMA = 230.0
# A flat frame (a single colour, a fade) has almost no spread of luma and little information.
FLAT_STDDEV = 12.0
FLAT_ENTROPY = 3.0  # bits of the 256-bin luma histogram; a natural picture has 6–7.5
# Sharpness is only comparable between frames of one video (it depends on the content and
# the size), so a frame is blurred when far below the sharpest usable candidate; the floor
# catches videos where every candidate is soft.
BLUR_RATIO = 0.35
BLUR_FLOOR = 4.0


class Verdict(StrEnum):
    USABLE = "usable"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    FLAT = "flat"
    BLURRED = "blurred"


@dataclass(frozen=True, slots=True)
class FrameStats:
    """Statistics of one candidate frame's luma."""

    mean: float  # 0–255
    stddev: float
    entropy: float  # bits, 0–8
    sharpness: float  # variance of the Laplacian; larger is sharper


def exposure_verdict(stats: FrameStats) -> Verdict:
    """Whether the frame shows anything at all, ignoring focus."""
    if stats.mean < DARK_LUMA:
        return Verdict.TOO_DARK
    if stats.mean > BRIGHT_LUMA:
        return Verdict.TOO_BRIGHT
    if stats.stddev < FLAT_STDDEV or stats.entropy < FLAT_ENTROPY:
        return Verdict.FLAT
    return Verdict.USABLE


def judge(candidates: Sequence[FrameStats]) -> list[Verdict]:
    """A verdict per candidate; blur is judged against the sharpest well-exposed one."""
    exposure = [exposure_verdict(c) for c in candidates]
    usable = [c.sharpness for c, v in zip(candidates, exposure, strict=True) if v is Verdict.USABLE]
    bar = max(BLUR_FLOOR, BLUR_RATIO * max(usable, default=0.0))
    return [
        Verdict.BLURRED if v is Verdict.USABLE and c.sharpness < bar else v
        for c, v in zip(candidates, exposure, strict=True)
    ]


def score(stats: FrameStats, sharpest: float) -> float:
    """0–1: detail (entropy), focus relative to the sharpest candidate, and mid-tone exposure."""
    detail = min(stats.entropy / 8.0, 1.0)
    focus = min(stats.sharpness / sharpest, 1.0) if sharpest > 0 else 0.0
    exposure = 1.0 - min(abs(stats.mean - 128.0) / 128.0, 1.0)
    return 0.4 * focus + 0.4 * detail + 0.2 * exposure


def rank(candidates: Sequence[FrameStats]) -> list[int]:
    """Indices of `candidates`, best first: usable frames before rejected ones, then by score.

    Every candidate is ranked, so a video whose frames are all dark or soft still gets the
    least bad of them as its poster.
    """
    verdicts = judge(candidates)
    sharpest = max((c.sharpness for c in candidates), default=0.0)
    return sorted(
        range(len(candidates)),
        key=lambda i: (verdicts[i] is not Verdict.USABLE, -score(candidates[i], sharpest), i),
    )


def choose_poster(candidates: Sequence[FrameStats]) -> int | None:
    """The index of the best candidate, or None when there are none."""
    order = rank(candidates)
    return order[0] if order else None
