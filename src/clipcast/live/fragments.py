"""Reading the fragmented MP4 the segmenter writes: top-level boxes as they stream in, the
init segment's tracks, and each fragment's start, length and whether it opens on a keyframe
(pure: bytes in, facts out)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_HEADER = 8
_NON_SYNC = 0x00010000  # sample_is_non_sync_sample in ISO/IEC 14496-12 sample flags
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"})


class BadMedia(Exception):
    """The segmenter's output is not the fragmented MP4 we asked for."""


@dataclass(frozen=True, slots=True)
class Box:
    kind: bytes  # four characters, e.g. b"moof"
    data: bytes  # the whole box, header included


class BoxSplitter:
    """Cuts a byte stream into top-level boxes, holding at most one box (`max_box` bytes)."""

    def __init__(self, max_box: int) -> None:
        self._max = max_box
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Box]:
        self._buffer += data
        out: list[Box] = []
        while (size := self._next_size()) is not None and len(self._buffer) >= size:
            out.append(Box(bytes(self._buffer[4:8]), bytes(self._buffer[:size])))
            del self._buffer[:size]
        return out

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def _next_size(self) -> int | None:
        if len(self._buffer) < _HEADER:
            return None
        size = struct.unpack_from(">I", self._buffer)[0]
        if size == 1:
            if len(self._buffer) < 16:
                return None
            size = struct.unpack_from(">Q", self._buffer, 8)[0]
        if size < _HEADER:
            raise BadMedia(f"a box of {size} bytes")
        if size > self._max:
            raise BadMedia(f"a box of {size} bytes (the limit is {self._max})")
        return int(size)


def children(data: bytes, start: int = _HEADER) -> Iterator[tuple[bytes, bytes]]:
    """(kind, payload) of the boxes inside `data` from `start`."""
    pos = start
    while pos + _HEADER <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = _HEADER
        if size == 1:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = len(data) - pos
        if size < header or pos + size > len(data):
            raise BadMedia(f"a truncated {kind!r} box")
        yield kind, data[pos + header : pos + size]
        pos += size


def find(payload: bytes, *path: bytes) -> bytes | None:
    """The payload of the first box at `path` below `payload` (a container's payload)."""
    for kind, inner in children(payload, 0):
        if kind == path[0]:
            return inner if len(path) == 1 else find(inner, *path[1:])
    return None


def find_all(payload: bytes, kind: bytes) -> list[bytes]:
    return [inner for k, inner in children(payload, 0) if k == kind]


@dataclass(frozen=True, slots=True)
class Track:
    track_id: int
    kind: str  # "video" or "audio"
    timescale: int
    codec: str  # an RFC 6381 codecs entry: avc1.64001f, mp4a.40.2, opus
    width: int
    height: int
    default_duration: int  # from trex: a fragment's samples may leave theirs out
    default_flags: int


@dataclass(frozen=True, slots=True)
class Init:
    """The init segment (ftyp + moov) and what its tracks are."""

    data: bytes
    tracks: tuple[Track, ...]

    @property
    def video(self) -> Track | None:
        return next((t for t in self.tracks if t.kind == "video"), None)

    @property
    def codecs(self) -> str:
        return ",".join(t.codec for t in self.tracks)


def parse_init(ftyp: bytes, moov: bytes) -> Init:
    """The tracks of an init segment; `moov` a whole box."""
    body = moov[_HEADER:]
    trex = {}
    mvex = find(body, b"mvex")
    for inner in find_all(mvex or b"", b"trex"):
        track_id, _, duration, _, flags = struct.unpack_from(">5I", inner, 4)
        trex[track_id] = (duration, flags)
    tracks = [_track(trak, trex) for trak in find_all(body, b"trak")]
    kept = tuple(t for t in tracks if t is not None)
    if not kept:
        raise BadMedia("the init segment has no audio or video track")
    return Init(data=ftyp + moov, tracks=kept)


def _track(trak: bytes, trex: dict[int, tuple[int, int]]) -> Track | None:
    tkhd, mdhd = find(trak, b"tkhd"), find(trak, b"mdia", b"mdhd")
    hdlr, stsd = find(trak, b"mdia", b"hdlr"), find(trak, b"mdia", b"minf", b"stbl", b"stsd")
    if tkhd is None or mdhd is None or hdlr is None or stsd is None:
        raise BadMedia("a track without its headers")
    handler = hdlr[8:12]
    if handler not in (b"vide", b"soun"):
        return None
    track_id = struct.unpack_from(">I", tkhd, 12 if tkhd[0] == 0 else 20)[0]
    timescale = struct.unpack_from(">I", mdhd, 12 if mdhd[0] == 0 else 20)[0]
    width, height = (v >> 16 for v in struct.unpack_from(">II", tkhd, len(tkhd) - 8))
    duration, flags = trex.get(track_id, (0, 0))
    return Track(
        track_id=track_id,
        kind="video" if handler == b"vide" else "audio",
        timescale=timescale or 1,
        codec=_codec(stsd),
        width=width,
        height=height,
        default_duration=duration,
        default_flags=flags,
    )


def _codec(stsd: bytes) -> str:
    entries = list(children(stsd, 8))
    if not entries:
        raise BadMedia("a track without a sample description")
    kind, entry = entries[0]
    if kind in (b"avc1", b"avc3"):
        avcc = find(entry[78:], b"avcC")
        if avcc is None or len(avcc) < 4:
            raise BadMedia("an H.264 track without its configuration")
        return f"{kind.decode()}.{avcc[1]:02x}{avcc[2]:02x}{avcc[3]:02x}"
    if kind == b"mp4a":
        return "mp4a.40.2"  # we encode AAC-LC ourselves, whatever the feed carried
    if kind == b"Opus":
        return "opus"
    return kind.decode(errors="replace").strip()


@dataclass(frozen=True, slots=True)
class Fragment:
    """One moof + mdat: where it starts and how long it lasts, in seconds of its own timeline."""

    data: bytes
    start: float
    duration: float
    keyframe: bool  # its video opens on a sync sample (always True without video)

    @property
    def end(self) -> float:
        return self.start + self.duration


def parse_fragment(moof: bytes, mdat: bytes, init: Init) -> Fragment:
    """The timing of a fragment, read from its primary track (video if any, else audio)."""
    primary = init.video or init.tracks[0]
    for traf in find_all(moof[_HEADER:], b"traf"):
        facts = _traf(traf, init)
        if facts is not None and facts[0] == primary.track_id:
            _, decode_time, total, first_flags = facts
            scale = primary.timescale
            sync = primary.kind != "video" or not first_flags & _NON_SYNC
            return Fragment(moof + mdat, decode_time / scale, total / scale, sync)
    raise BadMedia("a fragment without its main track")


def _traf(traf: bytes, init: Init) -> tuple[int, int, int, int] | None:
    """(track id, base decode time, summed sample durations, first sample's flags)."""
    tfhd, tfdt = find(traf, b"tfhd"), find(traf, b"tfdt")
    if tfhd is None or tfdt is None:
        raise BadMedia("a fragment without tfhd or tfdt")
    track_id = struct.unpack_from(">I", tfhd, 4)[0]
    track = next((t for t in init.tracks if t.track_id == track_id), None)
    if track is None:
        return None
    duration, flags = _tfhd_defaults(tfhd, track)
    decode_time = struct.unpack_from(">Q" if tfdt[0] == 1 else ">I", tfdt, 4)[0]
    total, first = 0, flags
    for index, trun in enumerate(find_all(traf, b"trun")):
        run_total, run_first = _trun(trun, duration, flags)
        total += run_total
        first = run_first if index == 0 else first
    return track_id, decode_time, total, first


def _tfhd_defaults(tfhd: bytes, track: Track) -> tuple[int, int]:
    box_flags = int.from_bytes(tfhd[1:4], "big")
    pos = 8 + (8 if box_flags & 0x01 else 0) + (4 if box_flags & 0x02 else 0)
    duration, flags = track.default_duration, track.default_flags
    if box_flags & 0x08:
        duration = struct.unpack_from(">I", tfhd, pos)[0]
        pos += 4
    pos += 4 if box_flags & 0x10 else 0
    if box_flags & 0x20:
        flags = struct.unpack_from(">I", tfhd, pos)[0]
    return duration, flags


def _trun(trun: bytes, default_duration: int, default_flags: int) -> tuple[int, int]:
    """Summed durations of a track run and the flags of its first sample."""
    box_flags = int.from_bytes(trun[1:4], "big")
    count = struct.unpack_from(">I", trun, 4)[0]
    pos = 8 + (4 if box_flags & 0x001 else 0)
    first_flags = None
    if box_flags & 0x004:
        first_flags = struct.unpack_from(">I", trun, pos)[0]
        pos += 4
    fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if box_flags & bit]
    if pos + count * 4 * len(fields) > len(trun):
        raise BadMedia("a truncated track run")
    total = 0
    for sample in range(count):
        values = dict(zip(fields, struct.unpack_from(f">{len(fields)}I", trun, pos), strict=True))
        pos += 4 * len(fields)
        total += values.get(0x100, default_duration)
        if sample == 0 and first_flags is None:
            first_flags = values.get(0x400, default_flags)
    return total, default_flags if first_flags is None else first_flags


def shift_times(data: bytes, init: Init, seconds: float) -> bytes:
    """The fragments in `data` with every track's decode times moved by `seconds`, in place:
    tfdt carries them (64 bits, as ffmpeg writes it) and data offsets count from each moof,
    so no size or offset changes. Puts a feed's clips on the recording's timeline."""
    out = bytearray(data)
    scales = {t.track_id: t.timescale for t in init.tracks}
    for kind, start, end in _spans(out, 0, len(out)):
        if kind != b"moof":
            continue
        for inner, traf_start, traf_end in _spans(out, start + _HEADER, end):
            if inner == b"traf":
                _shift_traf(out, traf_start, traf_end, scales, seconds)
    return bytes(out)


def _spans(data: bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(kind, start, end) of the boxes in data[start:end]."""
    pos = start
    while pos + _HEADER <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
        if size < _HEADER or pos + size > end:
            raise BadMedia(f"a truncated {kind!r} box")
        yield kind, pos, pos + size
        pos += size


def _shift_traf(
    data: bytearray, start: int, end: int, scales: dict[int, int], seconds: float
) -> None:
    boxes = {kind: (s, e) for kind, s, e in _spans(data, start + _HEADER, end)}
    if b"tfhd" not in boxes or b"tfdt" not in boxes:
        raise BadMedia("a fragment without tfhd or tfdt")
    track_id = struct.unpack_from(">I", data, boxes[b"tfhd"][0] + _HEADER + 4)[0]
    at = boxes[b"tfdt"][0] + _HEADER
    wide = data[at] == 1
    value = struct.unpack_from(">Q" if wide else ">I", data, at + 4)[0]
    moved = value + round(seconds * scales.get(track_id, 1))
    if moved < 0 or (not wide and moved >= 2**32):
        raise BadMedia("a decode time out of range")
    struct.pack_into(">Q" if wide else ">I", data, at + 4, moved)
