"""Hand-built fragmented MP4 boxes for the parser's unit tests (no ffmpeg)."""

from __future__ import annotations

import struct

from clipcast.live.fragments import Fragment

NON_SYNC = 0x00010000


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def trak(
    track_id: int, handler: bytes, timescale: int, entry: bytes, size: tuple[int, int]
) -> bytes:
    tkhd = full(
        b"tkhd",
        0,
        3,
        struct.pack(">III", 0, 0, track_id)
        + bytes(60)
        + struct.pack(">II", size[0] << 16, size[1] << 16),
    )
    mdhd = full(b"mdhd", 0, 0, struct.pack(">IIII", 0, 0, timescale, 0) + bytes(4))
    hdlr = full(b"hdlr", 0, 0, bytes(4) + handler + bytes(12) + b"\0")
    stsd = full(b"stsd", 0, 0, struct.pack(">I", 1) + entry)
    stbl = box(b"stbl", stsd)
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + box(b"minf", stbl)))


def avc1(profile: int = 0x64, compat: int = 0, level: int = 0x1F) -> bytes:
    avcc = box(b"avcC", bytes([1, profile, compat, level]) + bytes(3))
    return box(b"avc1", bytes(78) + avcc)


def mp4a() -> bytes:
    return box(b"mp4a", bytes(28))


def init_segment(video_scale: int = 90000, audio: bool = True) -> tuple[bytes, bytes]:
    """(ftyp, moov) of a 640x360 H.264 track 1 and, with `audio`, an AAC track 2."""
    traks = trak(1, b"vide", video_scale, avc1(), (640, 360))
    trexes = full(b"trex", 0, 0, struct.pack(">5I", 1, 1, 0, 0, 0))
    if audio:
        traks += trak(2, b"soun", 48000, mp4a(), (0, 0))
        trexes += full(b"trex", 0, 0, struct.pack(">5I", 2, 1, 1024, 0, 0))
    moov = box(b"moov", full(b"mvhd", 0, 0, bytes(96)) + traks + box(b"mvex", trexes))
    return box(b"ftyp", b"isom" + bytes(4)), moov


def traf(track_id: int, decode_time: int, durations: list[int], first_flags: int | None) -> bytes:
    tfhd = full(b"tfhd", 0, 0x020000, struct.pack(">I", track_id))
    tfdt = full(b"tfdt", 1, 0, struct.pack(">Q", decode_time))
    flags = 0x001 | 0x100 | (0x004 if first_flags is not None else 0)
    body = struct.pack(">I", len(durations)) + struct.pack(">i", 0)
    if first_flags is not None:
        body += struct.pack(">I", first_flags)
    body += b"".join(struct.pack(">I", d) for d in durations)
    return box(b"traf", tfhd + tfdt + full(b"trun", 0, flags, body))


def fragment_boxes(
    start: float, seconds: float, *, keyframe: bool = True, fps: int = 25
) -> tuple[bytes, bytes]:
    """(moof, mdat) of `seconds` of video at `fps` (90 kHz) from `start`, plus AAC."""
    frames = round(seconds * fps)
    video = traf(1, round(start * 90000), [90000 // fps] * frames, 0 if keyframe else NON_SYNC)
    sound = traf(2, round(start * 48000), [1024] * round(seconds * 48000 / 1024), None)
    return box(b"moof", full(b"mfhd", 0, 0, struct.pack(">I", 1)) + video + sound), box(
        b"mdat", bytes(100)
    )


def fragment(start: float, seconds: float, *, keyframe: bool = True, size: int = 1000) -> Fragment:
    """A parsed fragment as the cutter sees it."""
    return Fragment(bytes(size), start, seconds, keyframe)
