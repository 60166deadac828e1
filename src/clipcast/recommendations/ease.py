"""Linear item-to-item (and user-to-user) autoencoders in closed form: EASE and DLAE (pure).

Both learn a square matrix W that predicts a row of the interaction matrix from itself,
`x̂ = x W`, by ridge regression on the Gram matrix G = XᵀX:

- EASE (Steck 2019): W = I − P · diag(1/diag(P)), P = (G + λI)⁻¹ — zero diagonal enforced.
- DLAE (Steck 2020, "denoising linear autoencoder"): W = (G + Λ)⁻¹ G with
  Λ = λI + p/(1−p) · diag(G). The second term is what dropout of input entries with
  probability p amounts to in expectation: a popular item is regularised more, so the model
  leans less on "everyone watched it". We measured it ahead of EASE on MovieLens-100k.

The same functions fit the user-side model on K = XXᵀ (users × users).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.floating]


def fit_ease(gram: Matrix, l2: float) -> Matrix:
    """EASE weights (float64 for the inverse; the result is as wide as `gram`)."""
    g = np.array(gram, dtype=np.float64)
    g[np.diag_indices_from(g)] += l2
    p = np.linalg.inv(g)
    weights = -p / np.diag(p)
    np.fill_diagonal(weights, 0.0)
    return weights.astype(gram.dtype, copy=False)


def dlae_penalty(gram: Matrix, l2: float, dropout: float) -> npt.NDArray[np.float64]:
    """Λ's diagonal: the ridge term plus what input dropout adds per item."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError("dropout is a probability below 1")
    diag = np.asarray(np.diag(gram), dtype=np.float64)
    return l2 + dropout / (1.0 - dropout) * diag


def fit_dlae(gram: Matrix, l2: float, dropout: float) -> Matrix:
    """DLAE weights W = (G + Λ)⁻¹ G, solved rather than inverted."""
    g = np.array(gram, dtype=np.float64)
    lhs = g.copy()
    lhs[np.diag_indices_from(lhs)] += dlae_penalty(g, l2, dropout)
    return np.linalg.solve(lhs, g).astype(gram.dtype, copy=False)


def dlae_dual(kernel: Matrix, rows: Matrix, l2: float, dropout: float) -> Matrix:
    """The user-side model's coefficients M = (K + Λ)⁻¹ X, so that a user whose history is x
    gets x̂ = (x Xᵀ) M: the same prediction as Kᵀ-weighted DLAE on training users, and it also
    serves a user whose history changed since training (or who was not in it)."""
    k = np.array(kernel, dtype=np.float64)
    k[np.diag_indices_from(k)] += dlae_penalty(k, l2, dropout)
    return np.linalg.solve(k, np.asarray(rows, dtype=np.float64)).astype(rows.dtype, copy=False)
