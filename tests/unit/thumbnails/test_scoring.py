"""Choosing the poster from candidate statistics: no black, white, flat or blurred frames."""

from __future__ import annotations

from clipcast.thumbnails.scoring import FrameStats, Verdict, choose_poster, judge, rank

SHARP = FrameStats(mean=120, stddev=60, entropy=7.2, sharpness=900)
BLACK = FrameStats(mean=3, stddev=1, entropy=0.4, sharpness=0.5)
WHITE = FrameStats(mean=250, stddev=4, entropy=1.0, sharpness=2)
FLAT_GREY = FrameStats(mean=128, stddev=2, entropy=1.5, sharpness=1)
BLURRED = FrameStats(mean=118, stddev=55, entropy=7.0, sharpness=90)
DARKISH_SHARP = FrameStats(mean=45, stddev=30, entropy=6.0, sharpness=700)


def test_black_white_and_flat_frames_are_rejected() -> None:
    verdicts = judge([SHARP, BLACK, WHITE, FLAT_GREY])
    assert verdicts == [Verdict.USABLE, Verdict.TOO_DARK, Verdict.TOO_BRIGHT, Verdict.FLAT]


def test_a_frame_far_softer_than_the_sharpest_is_blurred() -> None:
    assert judge([SHARP, BLURRED]) == [Verdict.USABLE, Verdict.BLURRED]


def test_blur_is_relative_to_usable_frames_only() -> None:
    # A black frame full of noise must not set the bar for the others.
    noisy_black = FrameStats(mean=10, stddev=5, entropy=2, sharpness=50_000)
    assert judge([noisy_black, BLURRED]) == [Verdict.TOO_DARK, Verdict.USABLE]


def test_the_sharp_frame_wins_wherever_it_is() -> None:
    for position in range(4):
        others = [BLACK, BLURRED, WHITE]
        frames = [*others[:position], SHARP, *others[position:]]
        assert choose_poster(frames) == position


def test_between_usable_frames_detail_and_exposure_count() -> None:
    assert choose_poster([DARKISH_SHARP, SHARP]) == 1


def test_when_every_frame_is_bad_the_least_bad_is_chosen() -> None:
    assert choose_poster([BLACK, FLAT_GREY, WHITE]) == 1


def test_ranking_puts_usable_frames_first_and_keeps_every_index() -> None:
    order = rank([BLACK, BLURRED, SHARP, WHITE, DARKISH_SHARP])
    assert order[:2] == [2, 4]
    assert sorted(order) == [0, 1, 2, 3, 4]


def test_no_candidates_no_poster() -> None:
    assert choose_poster([]) is None
