"""Chunk plans (whole clips, exact cuts, a sliver of tail absorbed) and stitching chunks' clips."""

from __future__ import annotations

import pytest

from clipcast.transcoding.chunking import (
    Chunk,
    PartClip,
    StitchError,
    chunk_length,
    plan_chunks,
    stitch,
)
from clipcast.transcoding.rendition import ClipInfo


def _plan(duration: float, chunk: int = 30, clip: int = 2, container: str = "mov") -> list[Chunk]:
    return plan_chunks(duration, clip_seconds=clip, chunk_seconds=chunk, container=container)


def test_a_long_source_is_cut_into_chunks_of_whole_clips() -> None:
    assert _plan(100) == [
        Chunk(0, 0, 30, 0),
        Chunk(1, 30, 60, 15),
        Chunk(2, 60, 90, 30),
        Chunk(3, 90, None, 45),  # the last runs to the end, whatever the probe said
    ]


def test_the_tiny_test_source_makes_three_chunks_of_two_clips() -> None:
    assert _plan(9.0, chunk=4) == [Chunk(0, 0, 4, 0), Chunk(1, 4, 8, 2), Chunk(2, 8, None, 4)]


@pytest.mark.parametrize("duration", [1.0, 30.0, 45.0])
def test_up_to_one_and_a_half_chunks_is_encoded_in_one_piece(duration: float) -> None:
    assert _plan(duration) == []


def test_just_over_one_and_a_half_chunks_is_split() -> None:
    assert [c.start for c in _plan(45.1)] == [0, 30]


def test_a_sliver_past_the_last_whole_chunk_joins_it() -> None:
    # 60.02 s: the audio outlasts the picture by a frame; a chunk from 60 s may hold no frame.
    assert _plan(60.02) == [Chunk(0, 0, 30, 0), Chunk(1, 30, None, 15)]
    assert [c.start for c in _plan(61.0)] == [0, 30, 60]  # half a clip or more is its own


def test_chunk_length_is_rounded_down_to_whole_clips() -> None:
    assert chunk_length(31, 2) == 30
    assert chunk_length(1, 2) == 0
    assert _plan(100, chunk=31)[1] == Chunk(1, 30, 60, 15)


@pytest.mark.parametrize("chunk", [0, -5, 1])
def test_chunking_off_or_shorter_than_a_clip_means_one_piece(chunk: int) -> None:
    assert _plan(1000, chunk=chunk) == []


@pytest.mark.parametrize("container", ["mpegts", "flv", "ogg"])
def test_containers_without_an_index_to_seek_by_are_encoded_in_one_piece(container: str) -> None:
    assert _plan(1000, container=container) == []


@pytest.mark.parametrize("duration", [float("nan"), float("inf")])
def test_an_unknown_duration_is_encoded_in_one_piece(duration: float) -> None:
    assert _plan(duration) == []


def _part(first: int, durations: list[float]) -> list[PartClip]:
    return [PartClip(first + i, d, 1000 + first + i) for i, d in enumerate(durations)]


def test_stitching_lists_the_chunks_clips_with_offsets_running_on() -> None:
    parts = [_part(0, [2.0, 2.0]), _part(2, [2.0, 2.0]), _part(4, [1.0])]
    clips = stitch(parts, clip_seconds=2, exact=True)
    assert [c.index for c in clips] == [0, 1, 2, 3, 4]
    assert [c.offset for c in clips] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert clips[4] == ClipInfo(4, 8.0, 1.0, 1004)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([_part(0, [2.0, 2.0]), _part(3, [2.0])], "clip 2 expected, got clip 3"),  # a gap
        ([_part(0, [2.0, 2.0]), _part(1, [2.0])], "clip 2 expected, got clip 1"),  # overlap
        ([_part(0, [2.0, 1.96]), _part(2, [2.0])], "clip 1 lasts 1.960000 s"),  # a frame lost
        ([], "no clips"),
    ],
    ids=["gap", "overlap", "short-clip-at-a-join", "nothing"],
)
def test_chunks_that_do_not_join_cleanly_are_refused(
    parts: list[list[PartClip]], message: str
) -> None:
    with pytest.raises(StitchError, match=message):
        stitch(parts, clip_seconds=2, exact=True)


def test_audio_clips_need_not_be_exactly_two_seconds() -> None:
    # AAC frames are 1024 samples: audio clips end on the frame after each 2 s boundary.
    parts = [_part(0, [2.005333, 1.984, 2.005333, 0.5])]
    clips = stitch(parts, clip_seconds=2, exact=False)
    assert [c.offset for c in clips] == [0.0, 2.005333, 3.989333, 5.994666]
