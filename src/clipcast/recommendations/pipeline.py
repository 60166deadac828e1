"""One batch refresh, start to end, as plain data in and out (pure; run in a child process):
train the collaborative model, make each user's taste tags, rank every user, and the up-next
lists from co-visitation."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from clipcast.recommendations import collaborative, covisit, dataset, diversity
from clipcast.recommendations.blend import BlendWeights
from clipcast.recommendations.collaborative import CollabModel, CollabParams
from clipcast.recommendations.dataset import Dataset, VideoRow, WatchRow
from clipcast.recommendations.reasons import ReasonKind
from clipcast.recommendations.scoring import Pick, rank
from clipcast.recommendations.taste import MAX_TASTE_TAGS, TagEdit, apply_edits

BATCH_USERS = 256
UP_NEXT_SIZE = 12


@dataclass(frozen=True)
class Settings:
    list_size: int = 60
    row_size: int = 10
    channel_share: float = 0.3
    model_items: int = 5000
    model_users: int = 10000
    params: CollabParams = field(default_factory=CollabParams)
    weights: BlendWeights = field(default_factory=BlendWeights)


@dataclass(frozen=True)
class Inputs:
    videos: Sequence[VideoRow]
    video_tags: Mapping[uuid.UUID, Mapping[str, float]]
    watches: Sequence[WatchRow]
    user_ids: Sequence[uuid.UUID]
    grants: Sequence[tuple[uuid.UUID, uuid.UUID]]
    edits: Mapping[uuid.UUID, Mapping[str, TagEdit]]
    popularity: Mapping[uuid.UUID, float]
    now: datetime
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class Item:
    video_id: uuid.UUID
    score: float
    reason: ReasonKind
    tag: str | None
    anchor: uuid.UUID | None


@dataclass
class Outputs:
    lists: dict[uuid.UUID, list[Item]]
    taste: dict[uuid.UUID, dict[str, float]]
    up_next: dict[uuid.UUID, list[tuple[uuid.UUID, float]]]
    model: bytes  # npz of the model and its id maps ("" when nothing was trained)
    stats: dict[str, float]


def prepare(
    inputs: Inputs, model_videos: Sequence[uuid.UUID] | None = None
) -> tuple[Dataset, dict[uuid.UUID, dict[str, float]]]:
    """The dataset with every user's taste tags (computed, then their edits applied)."""
    extra = {t for edits in inputs.edits.values() for t in edits}
    data = dataset.build(
        videos=inputs.videos,
        video_tags=inputs.video_tags,
        watches=inputs.watches,
        user_ids=inputs.user_ids,
        grants=inputs.grants,
        extra_tags=extra,
        popularity=inputs.popularity,
        model_items=inputs.settings.model_items,
        now=inputs.now,
        model_videos=model_videos,
    )
    computed = dataset.taste_from_weights(
        data.taste_weights, data.catalogue.item_tags, data.catalogue.tag_names, MAX_TASTE_TAGS
    )
    taste = {
        user: apply_edits(tags, inputs.edits.get(user, {}))
        for user, tags in zip(data.user_ids, computed, strict=True)
    }
    muted = {
        user: [t for t, edit in edits.items() if edit.muted] for user, edits in inputs.edits.items()
    }
    data = dataset.with_mutes(data, muted)
    return dataset.with_taste(data, [taste[u] for u in data.user_ids]), taste


def train(data: Dataset, settings: Settings) -> CollabModel | None:
    """The model on the most active users' rows over the model's items; None with no data."""
    items = data.catalogue.model_items
    if items.size < 2:
        return None
    rows = data.history[:, items]
    counts = np.asarray((rows > 0).sum(axis=1)).ravel()
    active = np.flatnonzero(counts > 0)
    if active.size > settings.model_users:
        active = np.sort(active[np.argsort(-counts[active], kind="stable")[: settings.model_users]])
    if active.size < 2:
        return None
    return collaborative.train(rows[active], settings.params, dtype=np.float32)


def rank_users(
    data: Dataset, model: CollabModel | None, settings: Settings, rows: np.ndarray
) -> dict[uuid.UUID, list[Item]]:
    """Ranked, channel-capped lists of the given user rows."""
    out: dict[uuid.UUID, list[Item]] = {}
    for start in range(0, rows.size, BATCH_USERS):
        chunk = rows[start : start + BATCH_USERS]
        picks = rank(data.catalogue, data.batch(chunk), model, settings.weights, settings.list_size)
        for r, user_picks in zip(chunk, picks, strict=True):
            out[data.user_ids[int(r)]] = _items(data, user_picks, settings)
    return out


def _items(data: Dataset, picks: list[Pick], settings: Settings) -> list[Item]:
    capped = diversity.cap_channels(
        picks,
        lambda p: data.owners[p.item],
        row_size=settings.row_size,
        share=settings.channel_share,
    )
    return [
        Item(
            video_id=data.video_ids[p.item],
            score=round(p.score, 6),
            reason=p.reason.kind,
            tag=p.reason.tag,
            anchor=data.video_ids[p.reason.anchor] if p.reason.anchor is not None else None,
        )
        for p in capped
    ]


def up_next(data: Dataset) -> dict[uuid.UUID, list[tuple[uuid.UUID, float]]]:
    users, items, times = data.watches
    watches = covisit.Watches(users=users, times=times, items=items, n_items=len(data.video_ids))
    counts = np.asarray((data.history > 0).sum(axis=0)).ravel()
    found = covisit.up_next(covisit.follow_counts(watches), counts, UP_NEXT_SIZE)
    return {
        data.video_ids[a]: [(data.video_ids[b], s) for b, s in nexts] for a, nexts in found.items()
    }


def serialise(model: CollabModel, data: Dataset) -> bytes:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        item_weights=model.item_weights,
        user_coef=model.user_coef,
        train_data=model.train_rows.data,
        train_indices=model.train_rows.indices,
        train_indptr=model.train_rows.indptr,
        train_shape=np.array(model.train_rows.shape),
        user_share=np.array([model.user_share]),
        videos=np.array([str(data.video_ids[j]) for j in data.catalogue.model_items]),
    )
    return buffer.getvalue()


def deserialise(blob: bytes) -> tuple[CollabModel, list[uuid.UUID]]:
    with np.load(io.BytesIO(blob)) as z:
        rows = sp.csr_matrix(
            (z["train_data"], z["train_indices"], z["train_indptr"]),
            shape=tuple(z["train_shape"]),
        )
        model = CollabModel(z["item_weights"], z["user_coef"], rows, float(z["user_share"][0]))
        videos = [uuid.UUID(v) for v in z["videos"]]
    return model, videos


def refresh_all(inputs: Inputs) -> Outputs:
    """Everything a batch refresh computes (see the module docstring)."""
    clock = time.perf_counter()
    data, taste = prepare(inputs)
    model = train(data, inputs.settings)
    trained = time.perf_counter() - clock
    lists = rank_users(data, model, inputs.settings, np.arange(len(data.user_ids)))
    ranked = time.perf_counter() - clock - trained
    stats = {
        "train_seconds": trained,
        "rank_seconds": ranked,
        "users": float(len(data.user_ids)),
        "items": float(len(data.video_ids)),
        "model_items": float(data.catalogue.model_items.size),
        "rows": float(data.history.nnz),
    }
    blob = serialise(model, data) if model is not None else b""
    return Outputs(lists, taste, up_next(data), blob, stats)


def refresh_some(inputs: Inputs, stored: tuple[CollabModel, list[uuid.UUID]] | None) -> Outputs:
    """A refresh of the users in `inputs` with a stored model (no training): what runs shortly
    after a user's activity. The model sees their history as it is now."""
    model, columns = stored if stored is not None else (None, None)
    data, taste = prepare(inputs, columns)
    lists = rank_users(data, model, inputs.settings, np.arange(len(data.user_ids)))
    return Outputs(lists, taste, {}, b"", {"users": float(len(data.user_ids))})
