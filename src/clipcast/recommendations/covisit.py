"""Co-visitation (pure): which videos viewers go on to watch after a video — the watch page's
"up next", and the neighbours whose tags a video inherits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

# The next few videos a viewer watched after this one, within a session-sized window, count;
# nearer steps count more (1/step).
FOLLOW_STEPS = 3
SESSION_SECONDS = 6 * 3600.0
# Dividing by the target's own count^POPULARITY_DAMPING keeps the site's biggest hit from
# being everybody's "up next".
POPULARITY_DAMPING = 0.5


@dataclass(frozen=True)
class Watches:
    """One row per watch: who, when (seconds), which item (0..n_items-1)."""

    users: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    items: npt.NDArray[np.intp]
    n_items: int


def follow_counts(watches: Watches) -> sp.csr_matrix:
    """C[a, b]: Σ over viewers of 1/step for each time b followed a within FOLLOW_STEPS steps
    and SESSION_SECONDS (a viewer's repeat of the same video is not a step to itself)."""
    order = np.lexsort((watches.times, watches.users))
    users, times, items = watches.users[order], watches.times[order], watches.items[order]
    rows: list[npt.NDArray[np.intp]] = []
    cols: list[npt.NDArray[np.intp]] = []
    vals: list[npt.NDArray[np.float64]] = []
    for step in range(1, FOLLOW_STEPS + 1):
        same = (users[step:] == users[:-step]) & (times[step:] - times[:-step] <= SESSION_SECONDS)
        same &= items[step:] != items[:-step]
        rows.append(items[:-step][same])
        cols.append(items[step:][same])
        vals.append(np.full(int(same.sum()), 1.0 / step))
    n = watches.n_items
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def up_next(
    counts: sp.csr_matrix, item_counts: npt.NDArray[np.floating], k: int
) -> dict[int, list[tuple[int, float]]]:
    """For each item with followers: its k best (item, strength in (0, 1]) by follow count ÷
    the follower's own count^POPULARITY_DAMPING, ties by lower item; strength relative to the
    best."""
    damp = np.power(np.maximum(item_counts, 1.0), POPULARITY_DAMPING)
    out: dict[int, list[tuple[int, float]]] = {}
    for a in range(counts.shape[0]):
        lo, hi = counts.indptr[a], counts.indptr[a + 1]
        if hi == lo:
            continue
        targets = counts.indices[lo:hi]
        scores = counts.data[lo:hi] / damp[targets]
        order = np.lexsort((targets, -scores))[:k]
        top = float(scores[order[0]])
        out[a] = [(int(targets[i]), round(float(scores[i]) / top, 4)) for i in order]
    return out
