"""The ranking path: EASE/DLAE, blend, top-k ties, exclusion, reasons, diversity, up next."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from clipcast.recommendations import collaborative, covisit
from clipcast.recommendations.blend import BlendWeights, Component, blend, normalise_rows, top_k
from clipcast.recommendations.collaborative import CollabParams
from clipcast.recommendations.diversity import cap_channels, max_per_row
from clipcast.recommendations.ease import fit_dlae, fit_ease
from clipcast.recommendations.reasons import ReasonKind
from clipcast.recommendations.scoring import Catalogue, UserBatch, allowed_mask, rank

# Items 0-2 are surfing, 3-5 cooking; users 0-3 watch surfing, 4-7 cooking.
HISTORY = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0, 0, 0],
            [1, 1, 1, 0, 0, 0],
            [1, 0, 1, 0, 0, 0],
            [0, 1, 1, 0, 0, 0],
            [0, 0, 0, 1, 1, 0],
            [0, 0, 0, 1, 1, 1],
            [0, 0, 0, 1, 0, 1],
            [0, 0, 0, 0, 1, 1],
        ],
        dtype=float,
    )
)
TAG_NAMES = ["cooking", "surfing"]
ITEM_TAGS = sp.csr_matrix(np.array([[0, 1.0]] * 3 + [[1.0, 0]] * 3))


def catalogue(listed: list[bool] | None = None) -> Catalogue:
    return Catalogue(
        item_tags=ITEM_TAGS,
        tag_names=TAG_NAMES,
        popularity=np.asarray(HISTORY.sum(axis=0)).ravel(),
        freshness=np.zeros(6),
        listed=np.array(listed or [True] * 6),
        model_items=np.arange(6),
    )


def users(rows: list[list[float]], taste: list[list[float]], **extra: sp.csr_matrix) -> UserBatch:
    empty = sp.csr_matrix((len(rows), 6), dtype=bool)
    return UserBatch(
        sp.csr_matrix(np.array(rows)),
        np.array(taste),
        extra.get("excluded", empty),
        extra.get("granted", empty),
    )


def test_ease_has_a_zero_diagonal_and_dlae_reduces_to_ridge() -> None:
    gram = (HISTORY.T @ HISTORY).toarray()
    ease = fit_ease(gram, 1.0)
    assert np.allclose(np.diag(ease), 0)
    ridge = np.linalg.solve(gram + 2.0 * np.eye(6), gram)
    assert np.allclose(fit_dlae(gram, 2.0, 0.0), ridge)
    with pytest.raises(ValueError, match="dropout"):
        fit_dlae(gram, 1.0, 1.0)


def test_the_collaborative_model_serves_a_history_it_never_saw() -> None:
    model = collaborative.train(HISTORY, CollabParams(item_l2=1.0, user_l2=1.0))
    scores = collaborative.predict(model, sp.csr_matrix(np.array([[1.0, 0, 0, 0, 0, 0]])))
    surfing, cooking = scores[0, 1:3], scores[0, 3:6]
    assert surfing.min() > cooking.max()


def test_rows_are_normalised_by_their_best_allowed_value() -> None:
    scores = np.array([[2.0, 4.0, 8.0], [0.0, 0.0, 0.0]])
    allowed = np.array([[True, True, False], [True, True, True]])
    assert np.allclose(normalise_rows(scores, allowed), [[0.5, 1.0, 0.0], [0, 0, 0]])


def test_blend_weighs_components_and_masks_what_is_not_allowed() -> None:
    allowed = np.array([[True, True, False]])
    total, shares = blend(
        {
            Component.COLLAB: np.array([[1.0, 0.0, 9.0]]),
            Component.POPULAR: np.array([[0.0, 1.0, 9.0]]),
        },
        BlendWeights(collab=1.0, tags=0, fresh=0, popular=0.5),
        allowed,
    )
    assert total[0, 0] == 1.0 and total[0, 1] == 0.5 and total[0, 2] == -np.inf
    assert set(shares) == {Component.COLLAB, Component.POPULAR}


def test_top_k_breaks_ties_by_the_lower_item_and_leaves_out_forbidden_items() -> None:
    scores = np.array([[1.0, 3.0, 3.0, -np.inf, 3.0]])
    assert top_k(scores, 3).tolist() == [[1, 2, 4]]
    assert top_k(scores, 5).tolist() == [[1, 2, 4, 0, -1]]


def test_watched_excluded_and_unlisted_items_are_never_allowed_unless_granted() -> None:
    batch = users(
        [[1, 0, 0, 0, 0, 0]],
        [[0, 1.0]],
        excluded=sp.csr_matrix(np.array([[0, 1, 0, 0, 0, 0]], dtype=bool)),
        granted=sp.csr_matrix(np.array([[0, 0, 0, 0, 1, 0]], dtype=bool)),
    )
    mask = allowed_mask(catalogue([True, True, True, False, False, True]), batch)
    assert mask.tolist() == [[False, False, True, False, True, True]]


def test_a_surfer_gets_surfing_first_each_pick_with_a_reason() -> None:
    model = collaborative.train(HISTORY, CollabParams(item_l2=1.0, user_l2=1.0))
    picks = rank(catalogue(), users([[1, 0, 0, 0, 0, 0]], [[0, 1.0]]), model, BlendWeights(), 4)[0]
    assert {p.item for p in picks[:2]} == {1, 2}
    assert picks[0].reason.kind in (ReasonKind.ALSO_WATCHED, ReasonKind.LIKED_TAG)
    if picks[0].reason.kind is ReasonKind.ALSO_WATCHED:
        assert picks[0].reason.anchor == 0
    assert all(p.reason.text("X") for p in picks)


def test_a_new_user_gets_popular_videos_named_by_their_tag() -> None:
    picks = rank(catalogue(), users([[0] * 6], [[0, 0]]), None, BlendWeights(), 3)[0]
    assert [p.reason.kind for p in picks] == [ReasonKind.POPULAR_IN_TAG] * 3
    assert picks[0].reason.text() in ("Popular in #surfing", "Popular in #cooking")


def test_a_muted_tag_has_no_pull() -> None:
    taste_without_surfing = [[1.0, 0.0]]
    picks = rank(
        catalogue(),
        users([[0] * 6], taste_without_surfing),
        None,
        BlendWeights(collab=0, tags=1, fresh=0, popular=0),
        3,
    )[0]
    assert {p.item for p in picks} == {3, 4, 5}
    assert {p.reason.tag for p in picks} == {"cooking"}


def test_one_channel_takes_at_most_its_share_of_each_row() -> None:
    ranked = ["a1", "a2", "a3", "a4", "b1", "c1", "a5", "b2"]
    capped = cap_channels(ranked, lambda x: x[0], row_size=4, share=0.5)
    assert capped[:4] == ["a1", "a2", "b1", "c1"]
    assert sorted(capped) == sorted(ranked)  # backfilled, nothing lost
    first_row = capped[:4]
    assert sum(x.startswith("a") for x in first_row) <= max_per_row(4, 0.5)
    strict = cap_channels(["a1", "a2", "a3"], lambda x: x[0], row_size=4, share=0.5, backfill=False)
    assert strict == ["a1", "a2"]


def test_up_next_counts_what_followed_within_a_session() -> None:
    hour = 3600.0
    watches = covisit.Watches(
        users=np.array([0, 0, 0, 1, 1, 2, 2]),
        times=np.array([0, hour, 2 * hour, 0, hour, 0, 30 * hour]),
        items=np.array([0, 1, 2, 0, 1, 0, 3]),
        n_items=4,
    )
    counts = covisit.follow_counts(watches)
    assert counts[0, 1] == 2.0  # two viewers went 0 → 1 as the next step
    assert counts[0, 2] == 0.5  # one went on to 2 as the second step
    assert counts[0, 3] == 0.0  # a day later is another session
    nexts = covisit.up_next(counts, np.array([3.0, 2, 1, 1]), k=2)
    assert nexts[0][0] == (1, 1.0)
