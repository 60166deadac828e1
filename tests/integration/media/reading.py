"""Reading encoded clips back as a player would: frames and their numbers, decode times,
keyframes, audio samples."""

from __future__ import annotations

import array
import struct
from pathlib import Path

import av

from tests.integration.media.sources import frame_number


def numbered_frames(path: Path) -> list[tuple[int, int]]:
    """(pts, source frame number) of every decoded frame of a `sources.numbered` picture."""
    found = []
    with av.open(str(path), format="mp4") as box:
        for frame in box.decode(video=0):
            y, u = frame.planes[0], frame.planes[1]
            centre_y = bytes(y)[y.line_size * (frame.height // 2) + frame.width // 2]
            centre_u = bytes(u)[u.line_size * (frame.height // 4) + frame.width // 4]
            found.append((int(frame.pts or 0), frame_number(centre_y, centre_u)))
    return found


def samples(path: Path) -> list[float]:
    """The first channel of the decoded audio, as floats."""
    out = array.array("f")
    with av.open(str(path), format="mp4") as box:
        for frame in box.decode(audio=0):
            if frame.format.name != "fltp":
                raise ValueError(f"unexpected sample format {frame.format.name}")
            out.frombytes(bytes(frame.planes[0])[: frame.samples * 4])
    return out.tolist()


def box_body(data: bytes, path: list[bytes]) -> bytes:
    """The body of the first box at `path` (e.g. moof/traf/tfdt)."""
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if kind == path[0]:
            body = data[pos + 8 : pos + size]
            return body if len(path) == 1 else box_body(body, path[1:])
        pos += size
    raise KeyError(path[0])


def decode_time(clip: bytes) -> int:
    """baseMediaDecodeTime of a clip's first fragment, in its track's timescale."""
    tfdt = box_body(clip, [b"moof", b"traf", b"tfdt"])
    return int(struct.unpack_from(">Q" if tfdt[0] == 1 else ">I", tfdt, 4)[0])


def timescale(init: bytes) -> int:
    mdhd = box_body(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    return int(struct.unpack_from(">I", mdhd, 20 if mdhd[0] == 1 else 12)[0])


def keyframes(init: bytes, clip: bytes, scratch: Path) -> list[bool]:
    """Whether each video packet of the clip is a keyframe, read with its init segment."""
    scratch.write_bytes(init + clip)
    with av.open(str(scratch), format="mp4") as box:
        return [p.is_keyframe for p in box.demux(video=0) if p.size]
