"""The collaborative model: an item-side and a user-side DLAE, blended (pure numpy/scipy).

Each side alone is about as good as EASE on MovieLens-100k; they err differently (one reads
"viewers of what you watched", the other "people who watch like you"), so their sum ranks
better than either (docs/benchmarks.md). Training is a few dense solves: it runs in a worker,
never on the API's event loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clipcast.recommendations.ease import dlae_dual, fit_dlae

Matrix = npt.NDArray[np.floating]


@dataclass(frozen=True)
class CollabParams:
    """Tuned on a validation split of MovieLens-100k (bench/recs_eval.py); `user_share` is the
    user side's part of the blend."""

    item_l2: float = 200.0
    item_dropout: float = 0.85
    user_l2: float = 200.0
    user_dropout: float = 0.8
    user_share: float = 0.3

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class CollabModel:
    """Weights over the model's own item columns 0..n-1 (the caller maps them to videos)."""

    item_weights: Matrix  # items × items
    user_coef: Matrix  # training users × items: (K + Λ)⁻¹ X
    train_rows: sp.csr_matrix  # training users × items, the X the model saw
    user_share: float

    @property
    def n_items(self) -> int:
        return int(self.item_weights.shape[0])


def train(rows: sp.csr_matrix, params: CollabParams, *, dtype: type = np.float64) -> CollabModel:
    """Fit both sides on a users × items matrix of implicit feedback (weights ≥ 0)."""
    x = sp.csr_matrix(rows, dtype=dtype)
    gram = (x.T @ x).toarray()
    item_weights = fit_dlae(gram, params.item_l2, params.item_dropout)
    user_coef: Matrix = np.zeros((x.shape[0], x.shape[1]), dtype=dtype)
    if params.user_share > 0:
        kernel = (x @ x.T).toarray()
        user_coef = dlae_dual(kernel, x.toarray(), params.user_l2, params.user_dropout)
    return CollabModel(item_weights, user_coef, x, params.user_share)


def predict(model: CollabModel, history: sp.csr_matrix) -> Matrix:
    """Scores of every model item for each row of `history` (users × model items)."""
    h = sp.csr_matrix(history, dtype=model.item_weights.dtype)
    item_side = np.asarray(h @ model.item_weights)
    if model.user_share <= 0:
        return item_side
    similarity = (h @ model.train_rows.T).toarray()
    user_side = similarity @ model.user_coef
    share = model.user_share
    return np.asarray((1.0 - share) * item_side + share * user_side)


def anchors(
    model: CollabModel,
    history: sp.csr_matrix,
    rows: npt.NDArray[np.intp],
    items: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.floating]]:
    """For each (row, item) pair: the history item that contributes most to the item's
    item-side score, and that contribution — the "viewers of X also watched" of a reason.
    -1 where the row has no history."""
    h = sp.csr_matrix(history)
    best = np.full(len(rows), -1, dtype=np.intp)
    value = np.zeros(len(rows), dtype=np.float64)
    for k, (r, j) in enumerate(zip(rows, items, strict=True)):
        seen = h.indices[h.indptr[r] : h.indptr[r + 1]]
        if seen.size == 0:
            continue
        weights = h.data[h.indptr[r] : h.indptr[r + 1]] * model.item_weights[seen, j]
        pick = int(np.argmax(weights))
        best[k], value[k] = seen[pick], weights[pick]
    return best, value
