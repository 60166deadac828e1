"""From rows read out of SQL to the matrices the ranking takes (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clipcast.recommendations.decay import decay_many
from clipcast.recommendations.scoring import Catalogue, UserBatch
from clipcast.recommendations.taste import (
    COMMENT_WEIGHT,
    DISLIKE_WEIGHT,
    LIKE_WEIGHT,
    MIN_COMPLETION,
    TASTE_HALF_LIFE_SECONDS,
    WATCH_WEIGHT,
)

FRESH_HALF_LIFE_SECONDS = 3 * 24 * 3600.0
FRESH_FOR_SECONDS = 14 * 24 * 3600.0


@dataclass(frozen=True)
class VideoRow:
    id: uuid.UUID
    owner_id: uuid.UUID
    created_at: datetime
    listed: bool  # public: anyone may be shown it; else only users granted it


@dataclass(frozen=True)
class WatchRow:
    user_id: uuid.UUID
    video_id: uuid.UUID
    at: datetime
    completion: float
    liked: bool = False
    disliked: bool = False
    commented: bool = False


@dataclass(frozen=True)
class Dataset:
    catalogue: Catalogue
    video_ids: list[uuid.UUID]  # catalogue column → video
    owners: list[uuid.UUID]  # catalogue column → channel
    user_ids: list[uuid.UUID]  # row → user
    history: sp.csr_matrix  # users × items, the model's input (binary feedback)
    taste_weights: sp.csr_matrix  # users × items, signal × decay (what taste tags are made of)
    watches: tuple[npt.NDArray[np.int64], npt.NDArray[np.intp], npt.NDArray[np.float64]]
    users: UserBatch

    def batch(self, rows: npt.NDArray[np.intp]) -> UserBatch:
        return UserBatch(
            self.users.history[rows],
            self.users.taste[rows],
            self.users.excluded[rows],
            self.users.granted[rows],
        )


def watch_signal(row: WatchRow) -> float:
    """What a user × video says about taste (before decay): see taste.signal_weight."""
    done = max(0.0, min(row.completion, 1.0))
    value = WATCH_WEIGHT * done if done >= MIN_COMPLETION else 0.0
    value += LIKE_WEIGHT * row.liked + COMMENT_WEIGHT * row.commented
    return value + DISLIKE_WEIGHT * row.disliked


def feedback(row: WatchRow) -> float:
    if row.disliked:
        return 0.0
    return 1.0 if row.liked or row.commented or row.completion >= MIN_COMPLETION else 0.0


def build(
    *,
    videos: Sequence[VideoRow],
    video_tags: Mapping[uuid.UUID, Mapping[str, float]],
    watches: Sequence[WatchRow],
    user_ids: Sequence[uuid.UUID],
    grants: Iterable[tuple[uuid.UUID, uuid.UUID]],
    extra_tags: Iterable[str],
    popularity: Mapping[uuid.UUID, float],
    model_items: int,
    now: datetime,
    model_videos: Sequence[uuid.UUID] | None = None,
) -> Dataset:
    """Videos sorted by id (ties in ranking go to the lower id); users as given. With
    `model_videos` (a stored model's columns) those are the model's items, in that order; one
    no longer in `videos` stays as a column nobody may be shown."""
    gone = [v for v in (model_videos or []) if v not in {x.id for x in videos}]
    phantom = [VideoRow(v, uuid.UUID(int=0), now, listed=False) for v in gone]
    ordered = sorted([*videos, *phantom], key=lambda v: v.id)
    column = {v.id: n for n, v in enumerate(ordered)}
    row = {u: n for n, u in enumerate(user_ids)}
    tag_names = sorted({t for tags in video_tags.values() for t in tags} | set(extra_tags))
    tag_col = {t: n for n, t in enumerate(tag_names)}
    shape = (len(user_ids), len(ordered))
    kept = [w for w in watches if w.video_id in column and w.user_id in row]
    r = np.array([row[w.user_id] for w in kept], dtype=np.intp)
    c = np.array([column[w.video_id] for w in kept], dtype=np.intp)
    ages = np.array([(now - w.at).total_seconds() for w in kept], dtype=np.float64)
    signal = np.array([watch_signal(w) for w in kept]) * decay_many(ages, TASTE_HALF_LIFE_SECONDS)
    fb = np.array([feedback(w) for w in kept])
    history = sp.csr_matrix((fb, (r, c)), shape=shape, dtype=np.float32)
    history.eliminate_zeros()
    disliked = np.array([w.disliked for w in kept], dtype=bool)
    own = [(row[u], column[v.id]) for v in ordered for u in [v.owner_id] if u in row]
    excluded = _bool_matrix(
        shape, [(int(a), int(b)) for a, b in zip(r[disliked], c[disliked], strict=True)] + own
    )
    granted = _bool_matrix(
        shape, [(row[u], column[v]) for u, v in grants if u in row and v in column]
    )
    item_tags = _sparse_tags(ordered, video_tags, tag_col)
    pop = np.array([popularity.get(v.id, 0.0) for v in ordered])
    catalogue = Catalogue(
        item_tags=item_tags,
        tag_names=tag_names,
        popularity=pop,
        freshness=_freshness(ordered, now),
        listed=np.array([v.listed for v in ordered], dtype=bool),
        model_items=(
            np.array([column[v] for v in model_videos], dtype=np.intp)
            if model_videos is not None
            else _model_items(history, model_items)
        ),
    )
    taste_matrix = np.zeros((len(user_ids), len(tag_names)))
    return Dataset(
        catalogue=catalogue,
        video_ids=[v.id for v in ordered],
        owners=[v.owner_id for v in ordered],
        user_ids=list(user_ids),
        history=history,
        taste_weights=sp.csr_matrix((signal, (r, c)), shape=shape),
        watches=(r.astype(np.int64), c, np.array([w.at.timestamp() for w in kept])),
        users=UserBatch(history, taste_matrix, excluded, granted),
    )


def _bool_matrix(shape: tuple[int, int], cells: list[tuple[int, int]]) -> sp.csr_matrix:
    if not cells:
        return sp.csr_matrix(shape, dtype=bool)
    a, b = zip(*cells, strict=True)
    out = sp.csr_matrix((np.ones(len(a), dtype=bool), (a, b)), shape=shape)
    out.sum_duplicates()
    return out


def _sparse_tags(
    videos: Sequence[VideoRow],
    video_tags: Mapping[uuid.UUID, Mapping[str, float]],
    tag_col: Mapping[str, int],
) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for n, v in enumerate(videos):
        for tag, weight in video_tags.get(v.id, {}).items():
            rows.append(n)
            cols.append(tag_col[tag])
            vals.append(weight)
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(videos), len(tag_col)))


def _freshness(videos: Sequence[VideoRow], now: datetime) -> npt.NDArray[np.float64]:
    ages = np.array([(now - v.created_at).total_seconds() for v in videos], dtype=np.float64)
    fresh = decay_many(ages, FRESH_HALF_LIFE_SECONDS)
    return np.where(ages <= FRESH_FOR_SECONDS, fresh, 0.0)


def _model_items(history: sp.csr_matrix, cap: int) -> npt.NDArray[np.intp]:
    """The `cap` most watched items with any watch (a dense model of every video would not
    fit: the rest are reached through tags, freshness and popularity)."""
    counts = np.asarray((history > 0).sum(axis=0)).ravel()
    watched = np.flatnonzero(counts > 0)
    if watched.size > cap:
        watched = watched[np.argsort(-counts[watched], kind="stable")[:cap]]
    return np.sort(watched).astype(np.intp)


def taste_from_weights(
    weights: sp.csr_matrix,
    item_tags: sp.csr_matrix,
    tag_names: Sequence[str],
    limit: int,
) -> list[dict[str, float]]:
    """Each row's taste tags from its decayed signals: Σ signal × tag weight, the positive
    `limit` heaviest scaled so the first is 1 — taste.taste_tags for many users at once."""
    totals = np.asarray((weights @ item_tags).todense())
    out: list[dict[str, float]] = []
    for row in totals:
        positive = np.flatnonzero(row > 0)
        order = positive[np.lexsort((positive, -row[positive]))][:limit]
        top = float(row[order[0]]) if order.size else 1.0
        out.append({tag_names[t]: round(float(row[t]) / top, 4) for t in order})
    return out


def with_taste(dataset: Dataset, taste: Sequence[Mapping[str, float]]) -> Dataset:
    """The dataset with each user's final taste tags (after their edits) as the taste matrix."""
    col = {t: n for n, t in enumerate(dataset.catalogue.tag_names)}
    matrix = np.zeros((len(dataset.user_ids), len(col)))
    for r, tags in enumerate(taste):
        for tag, weight in tags.items():
            if tag in col:
                matrix[r, col[tag]] = weight
    users = UserBatch(dataset.users.history, matrix, dataset.users.excluded, dataset.users.granted)
    return replace(dataset, users=users)


# A muted tag hides the videos it describes well (reads.MUTE_HIDES_FROM_WEIGHT says the same).
MUTED_FROM_WEIGHT = 0.5


def with_mutes(dataset: Dataset, muted: Mapping[uuid.UUID, Iterable[str]]) -> Dataset:
    """The dataset with each user's muted tags' videos excluded for them."""
    col = {t: n for n, t in enumerate(dataset.catalogue.tag_names)}
    row = {u: n for n, u in enumerate(dataset.user_ids)}
    tags = dataset.catalogue.item_tags.tocsc()
    cells: list[tuple[int, int]] = []
    for user, names in muted.items():
        for name in names:
            if user in row and name in col:
                c = col[name]
                items = tags.indices[tags.indptr[c] : tags.indptr[c + 1]]
                weights = tags.data[tags.indptr[c] : tags.indptr[c + 1]]
                cells += [(row[user], int(j)) for j in items[weights >= MUTED_FROM_WEIGHT]]
    if not cells:
        return dataset
    extra = _bool_matrix(dataset.history.shape, cells)
    excluded = (dataset.users.excluded + extra).astype(bool)
    users = replace(dataset.users, excluded=sp.csr_matrix(excluded))
    return replace(dataset, users=users)
