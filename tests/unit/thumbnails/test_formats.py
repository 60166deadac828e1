"""Which uploads may be a poster: magic bytes and declared sizes only."""

from __future__ import annotations

import pytest

from clipcast.thumbnails.formats import (
    ImageFormat,
    ImageRejected,
    ImageTooBig,
    check_byte_size,
    check_declared_size,
    sniff_image,
)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ImageFormat.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ImageFormat.PNG),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", ImageFormat.WEBP),
    ],
)
def test_allowed_formats_are_told_by_their_bytes(head: bytes, expected: ImageFormat) -> None:
    assert sniff_image(head) is expected


@pytest.mark.parametrize(
    ("head", "says"),
    [
        (b"hello, I am a .jpg", "this is text"),
        (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'", "an SVG document"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not an image we know"),
        (b"\x00\x00\x00\x18ftypavif", "HEIF/AVIF"),
        (b"", "empty"),
    ],
)
def test_anything_else_is_refused_with_what_it_looks_like(head: bytes, says: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        sniff_image(head)
    assert says in refused.value.reason


@pytest.mark.parametrize(
    ("width", "height"),
    [(50_000, 50_000), (7681, 4320), (20_000, 100), (0, 10)],
)
def test_declared_sizes_over_the_caps_are_refused(width: int, height: int) -> None:
    with pytest.raises(ImageRejected):
        check_declared_size(width, height)


def test_an_8k_picture_is_allowed_and_one_pixel_more_is_not() -> None:
    assert check_declared_size(7680, 4320) is None
    with pytest.raises(ImageRejected):
        check_declared_size(7680, 4321)


def test_byte_cap() -> None:
    check_byte_size(10 * 1024 * 1024)
    with pytest.raises(ImageTooBig):
        check_byte_size(10 * 1024 * 1024 + 1)
    with pytest.raises(ImageRejected):
        check_byte_size(0)
