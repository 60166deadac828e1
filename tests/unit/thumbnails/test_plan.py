"""Which renditions and clips the thumbnailer reads."""

from __future__ import annotations

import itertools

from clipcast.thumbnails.plan import (
    ClipRef,
    RenditionRef,
    candidate_clips,
    clip_at,
    poster_rendition,
    small_rendition,
    snippet_clips,
)


def _rendition(resolution: int, width: int, height: int) -> RenditionRef:
    return RenditionRef(resolution, width, height, init_key=f"videos/v/{resolution}p/init.mp4")


LADDER = [
    _rendition(0, 0, 0),  # audio only
    _rendition(240, 426, 240),
    _rendition(360, 640, 360),
    _rendition(720, 1280, 720),
    _rendition(1080, 1920, 1080),
]


def _clips(count: int, last: float = 2.0) -> list[ClipRef]:
    return [
        ClipRef(i, 2.0 * i, 2.0 if i < count - 1 else last, key=f"videos/v/240p/{i:06d}.m4s")
        for i in range(count)
    ]


def test_the_poster_comes_from_the_smallest_rendition_filling_the_player() -> None:
    assert poster_rendition(LADDER) == LADDER[3]
    assert poster_rendition(LADDER[:3]) == LADDER[2]  # nothing fills it: the largest


def test_storyboard_and_preview_come_from_the_smallest_filling_320x180() -> None:
    assert small_rendition(LADDER) == LADDER[1]
    tiny = [_rendition(144, 256, 144), _rendition(240, 426, 240)]
    assert small_rendition(tiny) == tiny[1]


def test_portrait_renditions_are_chosen_by_their_real_sizes() -> None:
    portrait = [_rendition(360, 360, 640), _rendition(720, 720, 1280)]
    assert poster_rendition(portrait) == portrait[1]
    assert small_rendition(portrait) == portrait[0]


def test_audio_only_has_nothing_to_picture() -> None:
    assert poster_rendition(LADDER[:1]) is None
    assert small_rendition([]) is None


def test_clip_at_finds_the_clip_playing() -> None:
    clips = _clips(5)
    assert clip_at(clips, 0).index == 0
    assert clip_at(clips, 3.99).index == 1
    assert clip_at(clips, 4.0).index == 2
    assert clip_at(clips, 99).index == 4


def test_candidates_spread_over_the_video_without_its_first_and_last_5_percent() -> None:
    clips = _clips(300)  # ten minutes
    chosen = candidate_clips(clips, 600.0)
    assert len(chosen) == 10
    assert all(c.offset + 2 >= 30 and c.offset <= 570 for c in chosen)
    gaps = [b.offset - a.offset for a, b in itertools.pairwise(chosen)]
    assert min(gaps) >= 50


def test_a_short_video_has_fewer_distinct_candidates() -> None:
    chosen = candidate_clips(_clips(3, last=1.0), 5.0)
    assert [c.index for c in chosen] == [0, 1, 2]


def test_snippets_follow_the_ranking_then_play_in_order() -> None:
    clips = _clips(20)
    assert [c.index for c in snippet_clips([9, 2, 15, 4, 7], clips)] == [2, 4, 9, 15]


def test_a_short_video_fills_the_snippets_with_what_it_has() -> None:
    clips = _clips(3)
    assert [c.index for c in snippet_clips([1], clips)] == [0, 1, 2]
