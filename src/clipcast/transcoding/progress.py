"""Turning ffmpeg run fractions into one 0–100 progress figure (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressPlan:
    """Each batch of rungs gets a share of 0–99 by the pixels it encodes (100 means ready)."""

    starts: tuple[float, ...]
    shares: tuple[float, ...]

    @classmethod
    def for_batches(cls, pixels: list[list[int]]) -> ProgressPlan:
        # A fixed cost per batch stands for decoding the source, which every run pays.
        weights = [sum(p) + max(p, default=1) for p in pixels]
        total = sum(weights) or 1
        shares = tuple(99 * w / total for w in weights)
        starts = tuple(sum(shares[:i]) for i in range(len(shares)))
        return cls(starts=starts, shares=shares)

    def during(self, batch: int, fraction: float) -> int:
        fraction = min(max(fraction, 0.0), 1.0)
        return int(self.starts[batch] + self.shares[batch] * fraction)

    def after(self, batch: int) -> int:
        return int(self.starts[batch] + self.shares[batch])
