"""Small test pictures made in memory: photos with metadata, and image bombs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_with_exif(
    size: tuple[int, int], orientation: int = 1, color: tuple[int, int, int] = (30, 140, 220)
) -> bytes:
    """A JPEG carrying EXIF (orientation, camera make "SecretCam") and a comment."""
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: the camera was turned; show it rotated 90° clockwise
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"private note")
    return out.getvalue()


def encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def png_bomb(width: int, height: int, rows: int = 16) -> bytes:
    """A well-formed grayscale PNG declaring `width`×`height` but carrying only a few rows.

    Tiny on disk; a decoder that trusts the header allocates width × height bytes at once.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(bytes(rows * (width + 1)), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
