"""Where a live feed is cut into clips: at keyframes, on a 2-second grid."""

from __future__ import annotations

import itertools

import pytest
from tests.unit.live.boxes import fragment

from clipcast.live.cutting import ClipTooLong, CutClip, CutRules, Cutter

RULES = CutRules(target=2.0, tolerance=0.25, min_seconds=1.0, max_seconds=10.0)


def cut_all(cutter: Cutter, fragments: list[tuple[float, float, bool]]) -> list[CutClip]:
    clips = []
    for start, seconds, key in fragments:
        clip = cutter.push(fragment(start, seconds, keyframe=key))
        if clip is not None:
            clips.append(clip)
    last = cutter.flush()
    return clips + ([last] if last else [])


def bounds(clips: list[CutClip]) -> list[tuple[float, float]]:
    return [(round(c.start, 3), round(c.end, 3)) for c in clips]


def test_keyframes_every_two_seconds_make_one_clip_per_fragment() -> None:
    clips = cut_all(Cutter(RULES), [(t, 2.0, True) for t in (0.0, 2.0, 4.0, 6.0)])
    assert bounds(clips) == [(0, 2), (2, 4), (4, 6), (6, 8)]


def test_a_clip_is_complete_when_its_last_fragment_reaches_the_grid_line() -> None:
    cutter = Cutter(RULES)
    assert cutter.push(fragment(0.0, 1.0)) is None
    done = cutter.push(fragment(1.0, 1.0))
    assert done is not None and (done.start, done.end) == (0.0, 2.0)  # no wait for the next one


def test_frequent_browser_keyframes_are_grouped_to_about_two_seconds() -> None:
    step = 0.57  # Chromium's H.264 MediaRecorder
    frags = [(i * step, step, True) for i in range(40)]
    clips = cut_all(Cutter(RULES), frags)
    for before, after in itertools.pairwise(clips):
        assert after.start == pytest.approx(before.end)  # no gaps, nothing twice
    whole = clips[:-1]
    assert all(1.0 <= c.duration <= 2.0 + step for c in whole)
    # The grid keeps the average at the target: clip N ends near 2 (N + 1) seconds.
    assert clips[-2].end == pytest.approx(2.0 * (len(clips) - 1), abs=step)


def test_a_keyframe_just_before_the_grid_line_still_cuts_there() -> None:
    clips = cut_all(Cutter(RULES), [(0.0, 1.9, True), (1.9, 2.1, True), (4.0, 2.0, True)])
    assert bounds(clips) == [(0, 1.9), (1.9, 4.0), (4.0, 6.0)]


def test_a_long_gop_makes_one_long_clip_and_the_grid_takes_over_again() -> None:
    clips = cut_all(Cutter(RULES), [(0.0, 5.0, True), (5.0, 1.0, True), (6.0, 2.0, True)])
    assert bounds(clips) == [(0, 5), (5, 6), (6, 8)]


def test_fragments_before_the_first_keyframe_are_dropped() -> None:
    clips = cut_all(Cutter(RULES), [(0.0, 0.5, False), (0.5, 2.0, True), (2.5, 2.0, True)])
    assert bounds(clips)[0] == (0.5, 2.5)


def test_the_last_clip_is_flushed_however_short() -> None:
    clips = cut_all(Cutter(RULES), [(0.0, 2.0, True), (2.0, 0.4, True)])
    assert bounds(clips) == [(0, 2), (2, 2.4)]


def test_a_clip_keeps_its_fragments_bytes_in_order() -> None:
    cutter = Cutter(RULES)
    cutter.push(fragment(0.0, 1.0, size=3))
    done = cutter.push(fragment(1.0, 1.0, size=5))
    assert done is not None and len(done.data) == 8


def test_no_keyframe_for_too_long_stops_the_feed_with_a_reason() -> None:
    with pytest.raises(ClipTooLong, match="keyframe interval to 2 s"):
        cut_all(Cutter(RULES), [(0.0, 12.0, True)])


def test_too_many_bytes_without_a_keyframe_stops_the_feed() -> None:
    cutter = Cutter(CutRules(max_bytes=2500))
    cutter.push(fragment(0.0, 0.5))
    cutter.push(fragment(0.5, 0.4))
    with pytest.raises(ClipTooLong, match="MB without a keyframe"):
        cutter.push(fragment(0.9, 0.05))
