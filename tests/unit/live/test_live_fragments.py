"""Reading the segmenter's fragmented MP4: boxes as they stream in, tracks, fragment timing."""

from __future__ import annotations

import pytest
from tests.unit.live.boxes import box, fragment_boxes, init_segment

from clipcast.live.fragments import BadMedia, BoxSplitter, parse_fragment, parse_init, shift_times


def test_boxes_come_out_whole_however_the_bytes_are_split() -> None:
    stream = box(b"ftyp", b"isom0000") + box(b"mdat", bytes(5000)) + box(b"free", b"")
    splitter = BoxSplitter(max_box=1 << 20)
    kinds = []
    for i in range(0, len(stream), 7):
        kinds += [b.kind for b in splitter.feed(stream[i : i + 7])]
    assert kinds == [b"ftyp", b"mdat", b"free"]
    assert splitter.pending == 0


def test_a_box_over_the_cap_is_refused_before_it_is_buffered() -> None:
    splitter = BoxSplitter(max_box=4096)
    with pytest.raises(BadMedia, match="limit is 4096"):
        splitter.feed((8000).to_bytes(4, "big") + b"mdat")


def test_a_box_shorter_than_its_header_is_refused() -> None:
    with pytest.raises(BadMedia):
        BoxSplitter(max_box=4096).feed((3).to_bytes(4, "big") + b"mdat")


def test_init_segment_names_its_tracks_and_rfc6381_codecs() -> None:
    init = parse_init(*init_segment())
    assert [t.kind for t in init.tracks] == ["video", "audio"]
    assert init.codecs == "avc1.64001f,mp4a.40.2"
    assert init.video is not None
    assert (init.video.width, init.video.height, init.video.timescale) == (640, 360, 90000)


def test_fragment_timing_comes_from_the_video_track() -> None:
    init = parse_init(*init_segment())
    fragment = parse_fragment(*fragment_boxes(4.0, 2.0), init)
    assert fragment.start == pytest.approx(4.0)
    assert fragment.duration == pytest.approx(2.0)
    assert fragment.keyframe


def test_a_fragment_opening_on_a_non_sync_sample_is_not_a_keyframe() -> None:
    init = parse_init(*init_segment())
    fragment = parse_fragment(*fragment_boxes(0.0, 0.5, keyframe=False), init)
    assert not fragment.keyframe


def test_audio_only_feeds_time_fragments_by_their_sound() -> None:
    ftyp, moov = init_segment(audio=True)
    init = parse_init(ftyp, moov)
    audio_only = type(init)(data=init.data, tracks=(init.tracks[1],))
    fragment = parse_fragment(*fragment_boxes(2.0, 2.0), audio_only)
    assert fragment.start == pytest.approx(2.0, abs=0.03)
    assert fragment.keyframe


def test_decode_times_are_shifted_in_place_for_every_track() -> None:
    init = parse_init(*init_segment())
    moof, mdat = fragment_boxes(1.4, 2.0)
    moved = shift_times(moof + mdat, init, 80.6)
    assert len(moved) == len(moof + mdat)
    boxes = BoxSplitter(max_box=1 << 20).feed(moved)
    video = parse_fragment(boxes[0].data, boxes[1].data, init)
    assert video.start == pytest.approx(82.0)
    assert video.duration == pytest.approx(2.0)
    audio_only = type(init)(data=init.data, tracks=(init.tracks[1],))
    sound = parse_fragment(boxes[0].data, boxes[1].data, audio_only)
    assert sound.start == pytest.approx(82.0, abs=0.03)


def test_a_shift_before_zero_is_refused() -> None:
    init = parse_init(*init_segment())
    moof, mdat = fragment_boxes(1.0, 2.0)
    with pytest.raises(BadMedia, match="out of range"):
        shift_times(moof + mdat, init, -5.0)
