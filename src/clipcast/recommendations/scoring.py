"""Ranking a batch of users over the catalogue, each pick with its reason (pure).

This is the one ranking path: the recs worker runs it on the activity table, and
bench/recs_eval.py runs it on MovieLens-100k. Items are catalogue columns 0..n-1 in ascending
id order, so ties go to the lower id.

Components (blend.Component), each per user over the allowed items:
- collab: the collaborative model on the user's history (collaborative.predict);
- tags: the user's taste tags × the items' tags × popularity (the original design's
  "in each tag, which videos are popular");
- fresh: new uploads in the user's tags;
- popular: the time-decayed global hot score — all a new user has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clipcast.recommendations import collaborative
from clipcast.recommendations.blend import BlendWeights, Component, blend, top_k
from clipcast.recommendations.collaborative import CollabModel
from clipcast.recommendations.reasons import Reason, ReasonKind

Matrix = npt.NDArray[np.floating]
Vector = npt.NDArray[np.floating]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Catalogue:
    """What may be recommended, and what is known of each item."""

    item_tags: sp.csr_matrix  # items × tags, weights in [0, 1]
    tag_names: Sequence[str]
    popularity: Vector  # items: time-decayed hot score, ≥ 0
    freshness: Vector  # items: 1 just uploaded … 0 old
    listed: npt.NDArray[np.bool_]  # items anyone may be shown (public); others need `granted`
    model_items: Index  # the catalogue column of each collaborative-model column

    @property
    def size(self) -> int:
        return int(self.item_tags.shape[0])


@dataclass(frozen=True)
class UserBatch:
    """Rows are users; columns are catalogue items (or tags for `taste`)."""

    history: sp.csr_matrix  # implicit feedback weights ≥ 0
    taste: Matrix  # users × tags; muted tags are 0
    excluded: sp.csr_matrix  # never serve: watched, disliked, their own videos
    granted: sp.csr_matrix  # unlisted-for-all items this user may see (their groups' videos)


@dataclass(frozen=True)
class Pick:
    item: int
    score: float
    reason: Reason


def allowed_mask(catalogue: Catalogue, users: UserBatch) -> npt.NDArray[np.bool_]:
    """Listed or granted, and neither watched nor otherwise excluded."""
    n = users.history.shape[0]
    mask = np.broadcast_to(catalogue.listed, (n, catalogue.size)).copy()
    mask |= users.granted.toarray().astype(bool)
    mask &= ~users.excluded.toarray().astype(bool)
    mask &= ~(users.history.toarray() > 0)
    return mask


def popularity_prior(popularity: Vector) -> Vector:
    """Popularity on a log scale in [0, 1]: a few very hot videos should not drown the rest."""
    logged = np.log1p(np.maximum(popularity, 0.0))
    top = float(logged.max(initial=0.0))
    return logged / top if top > 0 else logged


def components(
    catalogue: Catalogue, users: UserBatch, model: CollabModel | None
) -> dict[Component, Matrix]:
    prior = popularity_prior(catalogue.popularity)
    # (items × tags, sparse) @ (tags × users): no dense copy of the item tags per batch.
    affinity = np.asarray(catalogue.item_tags @ users.taste.T).T
    out: dict[Component, Matrix] = {
        Component.TAGS: np.maximum(affinity, 0.0) * prior,
        Component.FRESH: np.maximum(affinity, 0.0) * catalogue.freshness,
        Component.POPULAR: np.broadcast_to(prior, affinity.shape),
    }
    collab = np.zeros(affinity.shape)
    if model is not None and catalogue.model_items.size:
        history = users.history[:, catalogue.model_items]
        collab[:, catalogue.model_items] = collaborative.predict(model, history)
    out[Component.COLLAB] = collab
    return out


def rank(
    catalogue: Catalogue,
    users: UserBatch,
    model: CollabModel | None,
    weights: BlendWeights,
    k: int,
) -> list[list[Pick]]:
    """The k best allowed items per user, best first, each with its reason."""
    allowed = allowed_mask(catalogue, users)
    scores, shares = blend(components(catalogue, users, model), weights, allowed)
    chosen = top_k(scores, k)
    reasons = explain(catalogue, users, model, shares, chosen)
    return [
        [
            Pick(int(j), float(scores[r, j]), reasons[r][c])
            for c, j in enumerate(chosen[r])
            if j >= 0
        ]
        for r in range(chosen.shape[0])
    ]


def explain(
    catalogue: Catalogue,
    users: UserBatch,
    model: CollabModel | None,
    shares: dict[Component, Matrix],
    chosen: Index,
) -> list[list[Reason]]:
    """The reason of each chosen item: the component that gave it the most, named by what the
    user knows (a tag they like, a video they watched), never left blank."""
    rows, cols = np.nonzero(chosen >= 0)
    items = chosen[rows, cols]
    anchor, strength = _anchors(catalogue, users, model, rows, items)
    liked = _best_tags(users.taste, catalogue.item_tags, rows, items)
    own_tag = _top_tag(catalogue.item_tags, items)
    order = list(shares)
    stacked = np.stack([shares[c][rows, items] for c in order]) if order else None
    out: list[list[Reason]] = [[] for _ in range(chosen.shape[0])]
    for n, r in enumerate(rows):
        lead = order[int(np.argmax(stacked[:, n]))] if stacked is not None else Component.POPULAR
        tags = (liked[n], own_tag[n])
        out[r].append(_reason(catalogue, lead, tags, int(anchor[n]), float(strength[n])))
    return out


def _reason(
    catalogue: Catalogue,
    lead: Component,
    tags: tuple[int, int],
    anchor: int,
    strength: float,
) -> Reason:
    liked, own = tags
    names = catalogue.tag_names
    if lead is Component.COLLAB and anchor >= 0 and strength > 0:
        return Reason(ReasonKind.ALSO_WATCHED, anchor=anchor)
    if lead is Component.FRESH and liked >= 0:
        return Reason(ReasonKind.NEW_IN_TAG, tag=names[liked])
    if lead in (Component.TAGS, Component.COLLAB, Component.FRESH) and liked >= 0:
        return Reason(ReasonKind.LIKED_TAG, tag=names[liked])
    if own >= 0:
        return Reason(ReasonKind.POPULAR_IN_TAG, tag=names[own])
    return Reason(ReasonKind.POPULAR)


def _anchors(
    catalogue: Catalogue,
    users: UserBatch,
    model: CollabModel | None,
    rows: Index,
    items: Index,
) -> tuple[Index, Vector]:
    """The watched item behind each collaborative pick (catalogue index), or −1."""
    anchor = np.full(rows.size, -1, dtype=np.intp)
    strength = np.zeros(rows.size)
    if model is None or catalogue.model_items.size == 0:
        return anchor, strength
    column = np.full(catalogue.size, -1, dtype=np.intp)
    column[catalogue.model_items] = np.arange(catalogue.model_items.size)
    in_model = column[items] >= 0
    history = users.history[:, catalogue.model_items]
    found, value = collaborative.anchors(model, history, rows[in_model], column[items[in_model]])
    anchor[in_model] = np.where(found >= 0, catalogue.model_items[found], -1)
    strength[in_model] = value
    return anchor, strength


def _best_tags(taste: Matrix, item_tags: sp.csr_matrix, rows: Index, items: Index) -> Index:
    """For each (user, item): the user's liked tag that the item carries most, or −1."""
    out = np.full(rows.size, -1, dtype=np.intp)
    for n, (r, j) in enumerate(zip(rows, items, strict=True)):
        tags = item_tags.indices[item_tags.indptr[j] : item_tags.indptr[j + 1]]
        if tags.size == 0:
            continue
        fit = taste[r, tags] * item_tags.data[item_tags.indptr[j] : item_tags.indptr[j + 1]]
        if fit.max() > 0:
            out[n] = tags[int(np.argmax(fit))]
    return out


def _top_tag(item_tags: sp.csr_matrix, items: Index) -> Index:
    """Each item's heaviest tag, or −1."""
    out = np.full(items.size, -1, dtype=np.intp)
    for n, j in enumerate(items):
        lo, hi = item_tags.indptr[j], item_tags.indptr[j + 1]
        if hi > lo:
            out[n] = item_tags.indices[lo + int(np.argmax(item_tags.data[lo:hi]))]
    return out
