"""The blend (pure): per-user normalised component scores, weighted and summed, and which
component explains each pick."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.floating]


class Component(StrEnum):
    COLLAB = "collab"
    TAGS = "tags"
    FRESH = "fresh"
    POPULAR = "popular"


@dataclass(frozen=True)
class BlendWeights:
    """Tuned offline on a validation split (bench/recs_eval.py). Fresh uploads have no
    history to tune on; their weight is a product choice: enough to surface a new video in a
    liked tag without crowding out the rest."""

    collab: float = 1.0
    tags: float = 0.1
    fresh: float = 0.15
    popular: float = 0.02

    def of(self, component: Component) -> float:
        return float(getattr(self, component.value))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def normalise_rows(scores: Matrix, allowed: npt.NDArray[np.bool_]) -> Matrix:
    """Each row divided by its largest allowed value, so components on different scales
    blend by weight alone; a row with nothing positive stays as it is (zeros)."""
    masked = np.where(allowed, scores, -np.inf)
    top = np.max(masked, axis=1, initial=-np.inf, keepdims=True)
    scale = np.where(np.isfinite(top) & (top > 0), top, 1.0)
    return np.asarray(np.where(allowed, scores / scale, 0.0))


def blend(
    components: dict[Component, Matrix],
    weights: BlendWeights,
    allowed: npt.NDArray[np.bool_],
) -> tuple[Matrix, dict[Component, Matrix]]:
    """The blended scores (−inf where not allowed) and each component's weighted share."""
    shares: dict[Component, Matrix] = {}
    total: Matrix = np.zeros(allowed.shape, dtype=np.float64)
    for component, scores in components.items():
        weight = weights.of(component)
        if weight == 0:
            continue
        shares[component] = weight * normalise_rows(scores, allowed)
        total = total + shares[component]
    return np.where(allowed, total, -np.inf), shares


def top_k(scores: Matrix, k: int) -> npt.NDArray[np.intp]:
    """The k best columns of each row, best first; ties go to the lower column (the lower
    item id); columns at −inf are left out (rows come back padded with −1)."""
    n_rows, n_cols = scores.shape
    k = min(k, n_cols)
    out = np.full((n_rows, k), -1, dtype=np.intp)
    if k == 0:
        return out
    # The k-th best value of each row; every column at or above it is a contender, so a tie
    # at the boundary is settled by column order, not by argpartition's whim.
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    for r in range(n_rows):
        row = scores[r]
        cols = np.flatnonzero((row >= kth[r]) & np.isfinite(row))
        best = cols[np.lexsort((cols, -row[cols]))][:k]
        out[r, : best.size] = best
    return out
