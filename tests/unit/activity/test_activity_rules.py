"""The pure rules of activity: view threshold, clip lengths, like moves, write order, decay."""

from __future__ import annotations

import uuid

import pytest

from clipcast.activity import rules
from clipcast.activity.limits import RateLimits
from clipcast.activity.rules import Action, Reaction
from clipcast.activity.viewers import read_viewer, sign_viewer


@pytest.mark.parametrize(
    ("duration", "clips", "threshold"),
    [(0.5, 1, 1), (2.0, 1, 1), (3.0, 2, 1), (4.0, 2, 1), (5.0, 3, 2), (7.9, 4, 2), (600, 300, 2)],
)
def test_a_view_needs_two_clips_or_half_of_a_shorter_video(
    duration: float, clips: int, threshold: int
) -> None:
    assert rules.clip_count(duration, 2) == clips
    assert rules.view_threshold(clips) == threshold


def test_clip_lengths_add_up_to_the_video() -> None:
    clips = rules.clip_count(5.3, 2)
    assert [rules.clip_ms(i, 5.3, 2) for i in range(clips)] == [2000, 2000, 1300]


@pytest.mark.parametrize(
    ("old", "new", "moves"),
    [
        (Reaction.NONE, Reaction.LIKE, (1, 0)),
        (Reaction.LIKE, Reaction.LIKE, (0, 0)),
        (Reaction.LIKE, Reaction.DISLIKE, (-1, 1)),
        (Reaction.DISLIKE, Reaction.NONE, (0, -1)),
        (Reaction.NONE, Reaction.NONE, (0, 0)),
    ],
)
def test_a_reaction_change_moves_each_count_by_at_most_one(
    old: Reaction, new: Reaction, moves: tuple[int, int]
) -> None:
    assert rules.reaction_delta(old, new) == moves


def test_set_state_actions_map_to_reactions() -> None:
    assert rules.reaction_of(Action.COMMENT_LIKE) is Reaction.LIKE
    assert rules.reaction_of(Action.DISLIKE) is Reaction.DISLIKE
    assert rules.reaction_of(Action.CLEAR) is Reaction.NONE
    assert Action.CLIP_VIEW not in rules.SIGNED_IN_ONLY
    assert Action.LIKE in rules.SIGNED_IN_ONLY


def test_the_newest_write_wins_and_a_repeat_changes_nothing() -> None:
    assert rules.wins((10, "a"), None)
    assert rules.wins((11, "a"), (10, "z"))
    assert not rules.wins((10, "a"), (10, "a"))  # the same write, delivered again
    assert rules.wins((10, "b"), (10, "a"))  # same millisecond: the client id breaks the tie
    assert not rules.wins((9, "z"), (10, "a"))


def test_hot_weights_halve_every_half_life_over_the_window() -> None:
    weights = rules.hot_weights(1000)
    assert len(weights) == rules.HOT_WINDOW_HOURS
    assert weights[1000] == 1.0
    assert weights[1000 - int(rules.HOT_HALF_LIFE_HOURS)] == pytest.approx(0.5)
    assert min(weights) == 1000 - rules.HOT_WINDOW_HOURS + 1
    assert rules.hot_scopes(["cats", "diy"]) == ["all", "tag:cats", "tag:diy"]


def test_clip_sets_and_progress() -> None:
    clips = rules.with_clip(rules.with_clip(0, 3), 3)
    assert rules.has_clip(clips, 3)
    assert not rules.has_clip(clips, 2)
    assert clips.bit_count() == 1
    assert rules.progress(30, 60) == 0.5
    assert rules.progress(90, 60) == 1.0
    assert rules.progress(5, 0) == 0.0
    assert rules.hour_of(7_200_000 + 1) == 2


def test_rate_limit_allows_a_minute_then_asks_to_wait() -> None:
    limits = RateLimits(60)
    viewer = uuid.uuid4()
    assert limits.take(viewer, 60, now=0.0) == 0
    assert limits.take(viewer, 10, now=0.0) == 10  # one token per second comes back
    assert limits.take(viewer, 10, now=10.0) == 0
    assert limits.take(uuid.uuid4(), 60, now=10.0) == 0  # each viewer has their own bucket
    assert limits.take(viewer, 1000, now=10.0) == 60  # too big for the bucket: waits for a full one


def test_viewer_cookies_are_signed() -> None:
    viewer = uuid.uuid4()
    cookie = sign_viewer(b"key", viewer)
    assert read_viewer(b"key", cookie) == viewer
    assert read_viewer(b"other key", cookie) is None
    forged = f"{uuid.uuid4().hex}.{cookie.split('.', 1)[1]}"
    assert read_viewer(b"key", forged) is None
    assert read_viewer(b"key", "garbage") is None
    assert read_viewer(b"key", None) is None
