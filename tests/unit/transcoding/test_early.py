"""When a video may be played while it is still being encoded (pure)."""

from __future__ import annotations

import pytest

from clipcast.transcoding.early import (
    LEAD_CLIPS,
    SPEED_MARGIN,
    run_alone_pays,
    safe_to_play,
    wait_in_one_run,
)


def _safe(published: float, speed: float, duration: float = 60.0) -> bool:
    return safe_to_play(duration=duration, published=published, speed=speed, clip_seconds=2)


def test_a_fast_encoder_needs_only_a_lead_of_clips() -> None:
    fast = 1.5 * SPEED_MARGIN
    assert not _safe(published=0.0, speed=fast)
    assert not _safe(published=2.0 * (LEAD_CLIPS - 1), speed=fast)
    assert _safe(published=2.0 * LEAD_CLIPS, speed=fast)


def test_the_lead_is_the_whole_video_when_it_is_shorter() -> None:
    assert not _safe(published=2.0, speed=10.0, duration=3.0)
    assert _safe(published=3.0, speed=10.0, duration=3.0)


def test_a_slow_encoder_must_stay_ahead_until_the_last_clip() -> None:
    # Half real time (after the margin): a viewer gains 1 s on the encoder each 2 s, so over
    # the 58 s before the last clip they gain 29 s; the encoder needs 31 s published first.
    speed = 0.5 * SPEED_MARGIN
    assert not _safe(published=30.0, speed=speed)
    assert _safe(published=31.0, speed=speed)


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_no_progress_means_not_yet(speed: float) -> None:
    assert not _safe(published=10.0, speed=speed)


def test_everything_published_is_always_playable() -> None:
    assert _safe(published=60.0, speed=0.0)


def test_a_measured_speed_just_above_real_time_is_not_trusted() -> None:
    # 1.1× measured is under 1× after the margin: the encoder must be well ahead first.
    assert not _safe(published=4.0, speed=1.1)
    assert _safe(published=50.0, speed=1.1)


def _pays(published: float, speed: float, duration: float = 60.0) -> bool:
    return run_alone_pays(duration=duration, published=published, speed=speed, clip_seconds=2)


def test_one_run_waits_only_for_the_lead_when_it_is_fast() -> None:
    fast = 2.0 * SPEED_MARGIN
    wait = wait_in_one_run(duration=60.0, published=0.0, speed=fast, clip_seconds=2)
    assert wait == pytest.approx(2.0 * LEAD_CLIPS / fast)
    assert not _pays(published=0.0, speed=fast)


def test_a_slow_run_pauses_for_the_lowest_rung_alone() -> None:
    # A fifth of real time (4K60 on two cores is about half): one run would keep viewers
    # waiting most of the way; the lowest rung alone takes under half the whole run's time.
    assert wait_in_one_run(duration=60.0, published=1.0, speed=0.2, clip_seconds=2) > 200
    assert _pays(published=1.0, speed=0.2)


def test_a_run_just_under_real_time_keeps_going() -> None:
    # 0.9× real time: one run plays after ~19 s of a 60 s video; alone would take about as
    # long and then cost a second decode.
    assert not _pays(published=1.0, speed=0.9)


def test_no_speed_known_means_no_second_run() -> None:
    assert not _pays(published=0.0, speed=0.0)
