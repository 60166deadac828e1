"""Which uploaded images we accept as a poster, told by magic bytes and declared size (pure)."""

from __future__ import annotations

from enum import StrEnum

from clipcast.core.sniffing import looks_like_text

MAX_POSTER_BYTES = 10 * 1024 * 1024
# An 8K frame. Checked on the size the header declares, before a single pixel is decoded: a
# PNG of a few KB can declare 50000×50000 (7.5 GB of RGB once decoded).
MAX_POSTER_PIXELS = 7680 * 4320
MAX_POSTER_SIDE = 16384  # WebP's own limit; a longer side is a strip, not a poster
SNIFF_BYTES = 16


class ImageFormat(StrEnum):
    """Accepted formats, by the names Pillow gives them."""

    JPEG = "JPEG"
    PNG = "PNG"
    WEBP = "WEBP"


class ImageRejected(Exception):
    """The upload is not an image we take; `reason` is shown to the owner, `code` is stable."""

    def __init__(self, reason: str, *, code: str = "bad_image") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class ImageTooBig(ImageRejected):
    """More bytes than a poster may have (HTTP 413 rather than 422)."""


_OTHERS = (
    (b"GIF8", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"<?xml", "an XML or SVG document"),
    (b"<svg", "an SVG document"),
)


def sniff_image(head: bytes) -> ImageFormat:
    """The format of an upload from its first bytes; ImageRejected for anything not allowed.

    The file name and Content-Type are the uploader's word: only these bytes count.
    """
    if not head:
        raise ImageRejected("The file is empty.")
    if head.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return ImageFormat.WEBP
    raise ImageRejected(f"A poster must be a JPEG, PNG or WebP image; this is {_describe(head)}.")


def _describe(head: bytes) -> str:
    for magic, what in _OTHERS:
        if head.lstrip().startswith(magic):
            return what
    if head[4:8] == b"ftyp":
        return "a video or HEIF/AVIF image"
    return "text" if looks_like_text(head) else "not an image we know"


def check_declared_size(width: int, height: int) -> None:
    """Refuse a picture whose header declares more pixels than we decode."""
    if width <= 0 or height <= 0:
        raise ImageRejected("The image declares no size.")
    if max(width, height) > MAX_POSTER_SIDE or width * height > MAX_POSTER_PIXELS:
        raise ImageRejected(
            f"The image is {width}×{height} pixels; a poster may have at most "
            f"{MAX_POSTER_PIXELS // 1_000_000} megapixels and {MAX_POSTER_SIDE} pixels a side.",
            code="image_too_large",
        )


def check_byte_size(size: int) -> None:
    if size == 0:
        raise ImageRejected("The file is empty.")
    if size > MAX_POSTER_BYTES:
        raise ImageTooBig(
            f"The file is over {MAX_POSTER_BYTES // (1024 * 1024)} MiB, the limit for a poster.",
            code="poster_too_large",
        )
