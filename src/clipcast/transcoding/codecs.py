"""RFC 6381 CODECS strings read from an fMP4 init segment's sample entries (pure)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

# Boxes that only hold other boxes, on the path moov/trak/mdia/minf/stbl/stsd.
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl"})
_STSD_HEADER = 8  # version, flags, entry count
_VISUAL_ENTRY_FIELDS = 78  # SampleEntry (8) + VisualSampleEntry fields (70) before child boxes
_AAC_LC = "mp4a.40.2"  # the only audio we encode: AAC Low Complexity


class CodecsError(ValueError):
    """The init segment lacks what a CODECS attribute needs."""


def codecs_from_init(data: bytes) -> str:
    """`avc1.PPCCLL` from the avcC box (profile, constraints, level) and `mp4a.40.2` for AAC."""
    found: list[str] = []
    for kind, body in _sample_entries(data):
        if kind in (b"avc1", b"avc3"):
            found.append(_avc(kind, body))
        elif kind == b"mp4a":
            found.append(_AAC_LC)
    if not found:
        raise CodecsError("no H.264 or AAC sample entry in the init segment")
    return ",".join(sorted(found, key=lambda codec: codec.startswith("mp4a")))


def _avc(kind: bytes, entry: bytes) -> str:
    for child, body in _boxes(entry[_VISUAL_ENTRY_FIELDS:]):
        if child == b"avcC" and len(body) >= 4:
            profile, constraints, level = body[1], body[2], body[3]
            return f"{kind.decode()}.{profile:02x}{constraints:02x}{level:02x}"
    raise CodecsError("H.264 sample entry without an avcC box")


def _sample_entries(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    for kind, body in _boxes(data):
        if kind in _CONTAINERS:
            yield from _sample_entries(body)
        elif kind == b"stsd":
            yield from _boxes(body[_STSD_HEADER:])


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, body) of each box in `data`; stops at a box that would overrun the data."""
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= len(data):
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = len(data) - pos  # "to the end of the file"
        if size < header or pos + size > len(data):
            return
        yield kind, data[pos + header : pos + size]
        pos += size
