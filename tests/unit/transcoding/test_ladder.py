"""The ladder: rungs at or below the source, lowest first, even sizes, never upscaled."""

from __future__ import annotations

import pytest

from clipcast.transcoding.ladder import AUDIO_ONLY, AUDIO_RUNG, Rung, build_ladder, video_bitrate

DEFAULT = [1080, 720, 480, 360, 240]


def _sizes(rungs: tuple[Rung, ...]) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in rungs]


def test_1080p_source_gets_every_rung_lowest_first() -> None:
    rungs = build_ladder(1920, 1080, True, True, DEFAULT).video
    assert _sizes(rungs) == [
        ("240p", 426, 240),
        ("360p", 640, 360),
        ("480p", 854, 480),
        ("720p", 1280, 720),
        ("1080p", 1920, 1080),
    ]


def test_rungs_above_the_source_are_dropped() -> None:
    rungs = build_ladder(1280, 720, True, True, DEFAULT).video
    assert [r.resolution for r in rungs] == [240, 360, 480, 720]


def test_portrait_source_keeps_the_short_side_as_width() -> None:
    rungs = build_ladder(1080, 1920, True, True, DEFAULT).video
    assert _sizes(rungs)[0] == ("240p", 240, 426)
    assert _sizes(rungs)[-1] == ("1080p", 1080, 1920)
    assert all(r.height > r.width for r in rungs)


def test_odd_source_sizes_become_even_without_upscaling() -> None:
    rungs = build_ladder(321, 241, True, True, DEFAULT).video
    assert _sizes(rungs) == [("240p", 320, 240)]
    assert all(r.width % 2 == 0 and r.height % 2 == 0 for r in rungs)


def test_long_side_is_never_rounded_past_the_source() -> None:
    (rung,) = build_ladder(323, 240, True, False, [240]).video
    assert (rung.width, rung.height) == (322, 240)


def test_source_smaller_than_every_rung_keeps_its_own_even_size() -> None:
    rungs = build_ladder(177, 99, True, True, DEFAULT).video
    assert _sizes(rungs) == [("98p", 176, 98)]


def test_audio_only_source_gets_the_audio_rendition_alone() -> None:
    ladder = build_ladder(0, 0, False, True, DEFAULT)
    assert ladder.video == ()
    assert ladder.audio == Rung(AUDIO_ONLY, 0, 0, 0, 0, 0, 0, 128_000)
    assert ladder.first == [AUDIO_RUNG] and ladder.rest == []
    assert not AUDIO_RUNG.has_video


def test_silent_source_has_no_audio_rendition() -> None:
    ladder = build_ladder(640, 360, True, False, DEFAULT)
    assert ladder.audio is None
    assert [r.resolution for r in ladder.first] == [240]


def test_pictures_are_video_only_and_share_one_audio_rendition() -> None:
    ladder = build_ladder(1920, 1080, True, True, DEFAULT)
    assert all(r.audio_bitrate == 0 and r.has_video for r in ladder.video)
    assert ladder.audio == AUDIO_RUNG
    assert ladder.first == [ladder.video[0], AUDIO_RUNG]  # playable: lowest picture + sound
    assert ladder.rest == list(ladder.video[1:])


def test_nothing_to_encode_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="neither"):
        build_ladder(0, 0, False, False, DEFAULT)


def test_bitrates_grow_with_size_and_caps_sit_above_them() -> None:
    rungs = build_ladder(1920, 1080, True, True, DEFAULT).video
    rates = [r.video_bitrate for r in rungs]
    assert rates == sorted(rates)
    assert 300_000 <= rates[0] <= 800_000  # 240p
    assert 4_000_000 <= rates[-1] <= 6_000_000  # 1080p
    assert all(r.video_bitrate < r.maxrate < r.bufsize for r in rungs)


def test_60fps_costs_half_again_as_much() -> None:
    assert video_bitrate(1280, 720, 60) == pytest.approx(
        1.5 * video_bitrate(1280, 720, 30), rel=0.01
    )
    assert video_bitrate(1280, 720, 24) == video_bitrate(1280, 720, 30)
