"""When a video may be played while it is still being encoded (pure)."""

from __future__ import annotations

import pytest

from clipcast.transcoding.early import LEAD_CLIPS, SPEED_MARGIN, safe_to_play


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
