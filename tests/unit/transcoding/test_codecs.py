"""CODECS strings from the init segment's avcC box."""

from __future__ import annotations

import struct

import pytest

from clipcast.transcoding.codecs import CodecsError, codecs_from_init


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _init(*entries: bytes) -> bytes:
    stsd = _box(b"stsd", bytes(4) + struct.pack(">I", len(entries)) + b"".join(entries))
    tracks = b"".join(
        _box(b"trak", _box(b"mdia", _box(b"minf", _box(b"stbl", stsd)))) for _ in range(1)
    )
    return _box(b"ftyp", b"iso5\x00\x00\x02\x00") + _box(
        b"moov", _box(b"mvhd", bytes(100)) + tracks
    )


def _avc1(profile: int, constraints: int, level: int) -> bytes:
    avcc = _box(b"avcC", bytes([1, profile, constraints, level, 0xFF, 0xE1]))
    return _box(b"avc1", bytes(78) + avcc)


def test_h264_high_level_3_1_with_aac() -> None:
    data = _init(_avc1(0x64, 0x00, 0x1F), _box(b"mp4a", bytes(28)))
    assert codecs_from_init(data) == "avc1.64001f,mp4a.40.2"


def test_audio_only() -> None:
    assert codecs_from_init(_init(_box(b"mp4a", bytes(28)))) == "mp4a.40.2"


def test_video_is_listed_before_audio_whatever_the_track_order() -> None:
    data = _init(_box(b"mp4a", bytes(28)), _avc1(0x4D, 0x40, 0x28))
    assert codecs_from_init(data) == "avc1.4d4028,mp4a.40.2"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00\x08free",
        _init(_box(b"avc1", bytes(78))),
        _init(_box(b"hev1", bytes(90))),
    ],
)
def test_init_segments_without_usable_entries_are_refused(data: bytes) -> None:
    with pytest.raises(CodecsError):
        codecs_from_init(data)


def test_a_truncated_box_ends_the_walk_instead_of_reading_past_it() -> None:
    data = _init(_avc1(0x64, 0x00, 0x1F))
    with pytest.raises(CodecsError):
        codecs_from_init(data[:-3])
