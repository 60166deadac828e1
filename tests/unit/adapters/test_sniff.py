"""Magic-byte sniffing of uploads: only allow-listed containers get a demuxer name."""

from __future__ import annotations

import struct

import pytest

from clipcast.adapters.media.probe import MediaRejected, check_size, sniff_container


def _pad(head: bytes) -> bytes:
    return head + bytes(64)


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (struct.pack(">I", 32) + b"ftypisom", "mov"),
        (struct.pack(">I", 8) + b"moov", "mov"),
        (struct.pack(">I", 8) + b"mdat", "mov"),
        (struct.pack(">I", 8) + b"free", "mov"),
        (struct.pack(">I", 8) + b"wide", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "matroska"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", "avi"),
        (b"FLV\x01\x05\x00\x00\x00\x09", "flv"),
        (b"OggS\x00\x02", "ogg"),
    ],
)
def test_known_magic_names_the_demuxer(head: bytes, container: str) -> None:
    assert sniff_container(_pad(head)) == container


def test_mpegts_needs_three_sync_bytes_one_packet_apart() -> None:
    packet = b"\x47" + bytes(187)
    assert sniff_container(packet * 3) == "mpegts"
    with pytest.raises(MediaRejected):
        sniff_container(packet * 2 + b"\x00" + bytes(187))


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"", "The file is empty."),
        (b"x", "The file is too short to be a video (1 byte)."),
        (b"#EXTM3U\n#EXTINF:2,\n/etc/passwd\n", "An HLS playlist is not a video file."),
        (b"\xef\xbb\xbf  #EXTM3U\nfile:///etc/passwd\n", "An HLS playlist is not a video file."),
        (
            b"ffconcat version 1.0\nfile '/etc/passwd'\n",
            "An ffmpeg concat script is not a video file.",
        ),
        (
            b"hello, this is a text file\nnot a video\n",
            "This is not a video file we accept (looks like text).",
        ),
        (
            b"\x89PNG\r\n\x1a\n" + bytes(20),
            "This is not a video file we accept (looks like a PNG image).",
        ),
        (
            b"RIFF\x00\x10\x00\x00WAVEfmt " + bytes(8),
            "This is not a video file we accept (looks like a WAV audio file).",
        ),
        (
            struct.pack(">I", 24) + b"ftypheic\x00\x00\x00\x00mif1heic",
            "This is not a video file we accept (looks like a HEIF or AVIF picture).",
        ),
        (bytes(range(256)), "This is not a video file we accept (looks like an unknown format)."),
    ],
)
def test_everything_else_is_refused_with_a_reason(head: bytes, reason: str) -> None:
    with pytest.raises(MediaRejected) as refused:
        sniff_container(head)
    assert refused.value.reason == reason


def test_text_cut_inside_a_multibyte_character_is_still_text() -> None:
    head = ("vidéo " * 20).encode()[:-1]
    with pytest.raises(MediaRejected, match="looks like text"):
        sniff_container(head)


def test_size_checks_come_before_reading() -> None:
    with pytest.raises(MediaRejected, match=r"^The file is empty\.$"):
        check_size(0, 100)
    with pytest.raises(MediaRejected, match=r"The file is 2\.5 GB; the limit is 2\.0 GB\."):
        check_size(2_500_000_000, 2_000_000_000)
    check_size(100, 100)
