"""Poster and tile sizes, the storyboard grid and its WebVTT track."""

from __future__ import annotations

import pytest

from clipcast.thumbnails.layout import (
    CARD_BOX,
    PLAYER_BOX,
    Storyboard,
    fit_within,
    plan_storyboard,
    storyboard_vtt,
    tile_size,
    vtt_timestamp,
)


@pytest.mark.parametrize(
    ("size", "box", "expected"),
    [
        ((1920, 1080), PLAYER_BOX, (1280, 720)),
        ((1920, 1080), CARD_BOX, (320, 180)),
        ((640, 360), PLAYER_BOX, (640, 360)),  # never upscaled
        ((1080, 1920), PLAYER_BOX, (406, 720)),  # portrait: fits by height, even width
        ((1440, 1080), CARD_BOX, (240, 180)),
        ((4000, 100), CARD_BOX, (320, 8)),
    ],
)
def test_fit_within_keeps_aspect_never_upscales_and_is_even(
    size: tuple[int, int], box: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert fit_within(*size, box) == expected


def test_tiles_have_a_longer_side_of_160() -> None:
    assert tile_size(1920, 1080) == (160, 90)
    assert tile_size(1080, 1920) == (90, 160)
    assert tile_size(100, 60) == (100, 60)


def _offsets(clips: int, seconds: float = 2.0) -> list[float]:
    return [i * seconds for i in range(clips)]


def test_a_short_video_has_a_tile_per_clip_on_one_sheet() -> None:
    board = plan_storyboard(clip_offsets=_offsets(30), clip_seconds=2, width=1920, height=1080)
    assert (board.count, board.step, board.interval) == (30, 1, 2.0)
    assert (board.columns, board.rows, board.sheets) == (10, 3, 1)
    assert board.sheet_size == (1600, 270)


def test_a_long_video_has_a_tile_every_few_clips_and_at_most_100_per_sheet() -> None:
    two_hours = _offsets(3600)
    board = plan_storyboard(clip_offsets=two_hours, clip_seconds=2, width=1280, height=720)
    assert board.step == 9 and board.interval == 18.0
    assert board.count == 400 and board.starts[1] == 18.0
    assert (board.columns, board.rows, board.sheets) == (10, 10, 4)
    assert board.place(0) == (0, 0, 0)
    assert board.place(11) == (0, 160, 90)
    assert board.place(100) == (1, 0, 0)
    assert board.place(399) == (3, 1440, 810)


def test_a_tiny_video_has_one_tile() -> None:
    board = plan_storyboard(clip_offsets=[0.0], clip_seconds=1.2, width=320, height=240)
    assert (board.count, board.columns, board.rows) == (1, 1, 1)
    assert (board.tile_width, board.tile_height) == (160, 120)


def test_vtt_cues_are_contiguous_and_end_at_the_duration() -> None:
    board = Storyboard(
        starts=(0.0, 2.0, 4.0),
        step=1,
        interval=2.0,
        tile_width=160,
        tile_height=90,
        columns=2,
        rows=1,
    )
    text = storyboard_vtt(board, 5.5, lambda n: f"sheet-{n}.jpg")
    assert text.splitlines() == [
        "WEBVTT",
        "",
        "00:00:00.000 --> 00:00:02.000",
        "sheet-0.jpg#xywh=0,0,160,90",
        "",
        "00:00:02.000 --> 00:00:04.000",
        "sheet-0.jpg#xywh=160,0,160,90",
        "",
        "00:00:04.000 --> 00:00:05.500",
        "sheet-1.jpg#xywh=0,0,160,90",
    ]


def test_vtt_timestamps_carry_hours() -> None:
    assert vtt_timestamp(3723.4567) == "01:02:03.457"
    assert vtt_timestamp(0) == "00:00:00.000"
