"""Probing untrusted uploads: magic-byte sniffing here, PyAV inspection in a child process."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clipcast.core.sniffing import looks_like_text

log = logging.getLogger(__name__)

# Enough for every magic we check (an MPEG-TS sync byte at 376) and for the text heuristic.
SNIFF_BYTES = 4096
_MIN_BYTES = 16  # no container we accept fits a real video in fewer bytes

# The demuxers we pin by name. Anything else is refused before ffmpeg sees it, so the hls,
# concat, subfile or image2 demuxers (which open further files and URLs) can never be chosen.
CONTAINERS = frozenset({"mov", "matroska", "avi", "mpegts", "flv", "ogg"})

_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide")
_PICTURE_BRANDS = (b"heic", b"heix", b"mif1", b"avif")
_NOT_VIDEO = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"ID3", "an MP3 audio file"),
)


class MediaRejected(Exception):
    """The upload is not media we will process; `reason` is shown to its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProbeLimits:
    max_bytes: int
    max_width: int
    max_height: int
    max_pixels: int
    max_duration_seconds: float
    max_fps: float
    max_streams: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeLimits:
        return cls(
            max_bytes=int(data["max_bytes"]),
            max_width=int(data["max_width"]),
            max_height=int(data["max_height"]),
            max_pixels=int(data["max_pixels"]),
            max_duration_seconds=float(data["max_duration_seconds"]),
            max_fps=float(data["max_fps"]),
            max_streams=int(data["max_streams"]),
        )


@dataclass(frozen=True)
class ProbeResult:
    """What the transcoder needs to know; width and height are as displayed (after rotation)."""

    container: str
    duration: float
    has_video: bool
    has_audio: bool
    width: int
    height: int
    rotation: int  # degrees counter-clockwise, a multiple of 90, as ffmpeg's autorotate applies
    fps: float
    video_codec: str | None
    audio_codec: str | None
    audio_channels: int
    audio_sample_rate: int
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbeResult:
        return cls(
            container=str(data["container"]),
            duration=float(data["duration"]),
            has_video=bool(data["has_video"]),
            has_audio=bool(data["has_audio"]),
            width=int(data["width"]),
            height=int(data["height"]),
            rotation=int(data["rotation"]),
            fps=float(data["fps"]),
            video_codec=_optional_str(data["video_codec"]),
            audio_codec=_optional_str(data["audio_codec"]),
            audio_channels=int(data["audio_channels"]),
            audio_sample_rate=int(data["audio_sample_rate"]),
            size_bytes=int(data["size_bytes"]),
        )


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def sniff_container(first_bytes: bytes) -> str:
    """Name the demuxer for these leading bytes, from magic numbers only; refuse anything else."""
    if not first_bytes:
        raise MediaRejected("The file is empty.")
    if len(first_bytes) < _MIN_BYTES:
        size = len(first_bytes)
        raise MediaRejected(
            f"The file is too short to be a video ({size} byte{'s' if size > 1 else ''})."
        )
    stripped = first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"#EXTM3U"):
        raise MediaRejected("An HLS playlist is not a video file.")
    if stripped.startswith(b"ffconcat"):
        raise MediaRejected("An ffmpeg concat script is not a video file.")
    container = _container_from_magic(first_bytes)
    if container is not None:
        return container
    raise MediaRejected(
        f"This is not a video file we accept (looks like {_describe(first_bytes)})."
    )


def _container_from_magic(head: bytes) -> str | None:
    if head[4:8] in _MP4_BOXES and not _is_still_image(head):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpegts"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"OggS"):
        return "ogg"
    return None


def _is_still_image(head: bytes) -> bool:
    # Phone photos (HEIC) and AVIF pictures are ISO media files too, told apart by their brand.
    return head[4:8] == b"ftyp" and head[8:12] in _PICTURE_BRANDS


def _describe(head: bytes) -> str:
    if _is_still_image(head):
        return "a HEIF or AVIF picture"
    for magic, what in _NOT_VIDEO:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "a WAV audio file"
    return "text" if looks_like_text(head) else "an unknown format"


def check_size(size: int, max_bytes: int) -> None:
    """Refuse empty files and files over the byte cap, before reading any further."""
    if size == 0:
        raise MediaRejected("The file is empty.")
    if size > max_bytes:
        raise MediaRejected(
            f"The file is {_human_bytes(size)}; the limit is {_human_bytes(max_bytes)}."
        )


def _human_bytes(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


async def probe_file(
    path: Path,
    limits: ProbeLimits,
    *,
    timeout: float,  # noqa: ASYNC109 - the child is killed at the deadline, not just abandoned
) -> ProbeResult:
    """Check, sniff, then inspect `path` in a child process killed after `timeout` seconds.

    Raises MediaRejected with a reason meant for the uploader.
    """
    path, size, head = await asyncio.to_thread(_read_head, path)
    check_size(size, limits.max_bytes)
    container = sniff_container(head)
    payload = await _run_child(path, container, limits, seconds=timeout)
    if "rejected" in payload:
        raise MediaRejected(str(payload["rejected"]))
    return ProbeResult.from_dict(payload["result"])


def _read_head(path: Path) -> tuple[Path, int, bytes]:
    # The child gets an absolute path: a relative one could read as a protocol ("name:…").
    path = path.resolve()
    with path.open("rb") as file:
        return path, path.stat().st_size, file.read(SNIFF_BYTES)


async def _run_child(
    path: Path, container: str, limits: ProbeLimits, *, seconds: float
) -> dict[str, Any]:
    # A child process: a decoder crash or a memory blow-up takes down the probe, not the worker.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "clipcast.adapters.media.probe_child",
        str(path),
        container,
        json.dumps(limits.to_dict()),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), seconds)
    except TimeoutError:
        raise MediaRejected(f"Probing the file took too long (over {seconds:g} s).") from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return _parse_child_output(proc.returncode, out, err)


_ANSWERS = {"result", "rejected"}


def _parse_child_output(returncode: int | None, out: bytes, err: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(out)
    except ValueError:
        payload = None
    if returncode != 0 or not isinstance(payload, dict) or not payload.keys() & _ANSWERS:
        log.warning("probe child exited %s: %s", returncode, err[-2000:].decode(errors="replace"))
        raise MediaRejected("The file is truncated or damaged: the probe stopped unexpectedly.")
    return payload
