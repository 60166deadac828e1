"""Taste tags from activity (weights, decay, dislikes, mutes) and the decay itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import scipy.sparse as sp

from clipcast.recommendations.dataset import taste_from_weights
from clipcast.recommendations.decay import decay, decay_many, decay_since
from clipcast.recommendations.taste import (
    Interaction,
    Signal,
    TagEdit,
    apply_edits,
    signal_weight,
    taste_tags,
)

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DAY = 24 * 3600.0
TAGS = {"s1": {"surfing": 1.0}, "s2": {"surfing": 1.0, "ocean": 0.5}, "c1": {"cooking": 1.0}}


def test_decay_halves_every_half_life_and_never_grows() -> None:
    assert decay(0, 10) == 1.0
    assert decay(10, 10) == pytest.approx(0.5)
    assert decay(30, 10) == pytest.approx(0.125)
    assert decay(-5, 10) == 1.0  # an event "from the future" (clock skew) is just new
    assert decay_since(NOW - timedelta(days=2), NOW, DAY) == pytest.approx(0.25)
    assert np.allclose(decay_many(np.array([0.0, 10.0, 20.0]), 10.0), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="half-life"):
        decay(1, 0)


def test_signals_weigh_a_like_over_a_comment_over_a_watch_and_a_bounce_counts_nothing() -> None:
    like = signal_weight(Interaction("v", Signal.LIKE, NOW))
    comment = signal_weight(Interaction("v", Signal.COMMENT, NOW))
    watch = signal_weight(Interaction("v", Signal.WATCH, NOW, completion=1.0))
    half = signal_weight(Interaction("v", Signal.WATCH, NOW, completion=0.5))
    bounce = signal_weight(Interaction("v", Signal.WATCH, NOW, completion=0.05))
    assert like > comment > watch > half > bounce == 0.0
    assert signal_weight(Interaction("v", Signal.DISLIKE, NOW)) < 0


def test_taste_is_scaled_to_the_top_tag_and_old_activity_fades() -> None:
    old = NOW - timedelta(days=120)
    taste = taste_tags(
        [
            Interaction("s1", Signal.WATCH, NOW),
            Interaction("s2", Signal.LIKE, NOW),
            Interaction("c1", Signal.LIKE, old),
        ],
        TAGS,
        now=NOW,
    )
    assert next(iter(taste)) == "surfing"
    assert taste["surfing"] == 1.0
    assert taste["ocean"] == pytest.approx(1.0 / 3, abs=1e-4)
    assert taste["cooking"] < 0.1


def test_disliked_and_muted_tags_are_left_out() -> None:
    taste = taste_tags(
        [Interaction("c1", Signal.WATCH, NOW), Interaction("c1", Signal.DISLIKE, NOW)],
        TAGS,
        now=NOW,
    )
    assert "cooking" not in taste
    muted = taste_tags([Interaction("s2", Signal.WATCH, NOW)], TAGS, now=NOW, muted=["surfing"])
    assert muted == {"ocean": 1.0}


def test_edits_mute_and_add() -> None:
    edited = apply_edits(
        {"surfing": 1.0, "ocean": 0.4},
        {"surfing": TagEdit(muted=True), "baking": TagEdit(added=True)},
    )
    assert edited == {"baking": 1.0, "ocean": 0.4}


def test_the_batch_taste_matches_the_one_user_taste() -> None:
    names = ["cooking", "ocean", "surfing"]
    items = sp.csr_matrix(np.array([[0, 0, 1.0], [0, 0.5, 1.0], [1.0, 0, 0]]))
    weights = sp.csr_matrix(np.array([[1.0, 2.0, 0.0]]))  # watched s1, liked s2
    batch = taste_from_weights(weights, items, names, limit=30)[0]
    one = taste_tags(
        [Interaction("s1", Signal.WATCH, NOW), Interaction("s2", Signal.LIKE, NOW)],
        TAGS,
        now=NOW,
    )
    assert batch == one
