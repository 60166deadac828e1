"""Tiny media for the probe and encoder tests, made with ffmpeg's lavfi sources."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import imageio_ffmpeg

from clipcast.adapters.media.probe import ProbeLimits

LIMITS = ProbeLimits(
    max_bytes=8 * 1024**3,
    max_width=7680,
    max_height=4320,
    max_pixels=7680 * 4320,
    max_duration_seconds=6 * 3600,
    max_fps=240.0,
    max_streams=8,
)


def ffmpeg(*args: str) -> None:
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def ffmpeg_to_pipe(path: Path, *args: str) -> Path:
    """Like `ffmpeg`, but the muxer writes to a pipe it cannot seek back in, as browsers do."""
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *args, "pipe:1"]
    with path.open("wb") as out:
        subprocess.run(argv, check=True, stdout=out, stderr=subprocess.PIPE, timeout=60)
    return path


def picture(size: str = "320x240", fps: int = 30, seconds: float = 3) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]


def tone(seconds: float = 3) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]


H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "64k"]


def mp4(path: Path, *, size: str = "320x240", fps: int = 30, seconds: float = 3) -> Path:
    ffmpeg(*picture(size, fps, seconds), *tone(seconds), *H264, *AAC, "-shortest", str(path))
    return path


def odd_webm(path: Path, seconds: float = 1) -> Path:
    """321×241 VP9, as a browser recording a window can make; H.264 4:2:0 cannot be odd."""
    odd = ["-vf", "scale=321:241", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]
    ffmpeg(*picture("320x240", 30, seconds), *tone(seconds), *odd, "-c:a", "libopus", str(path))
    return path


def rotated_mp4(path: Path, source: Path, degrees: int = 90) -> Path:
    """The same picture, stored sideways with a display matrix, as phones record portrait."""
    ffmpeg("-display_rotation", str(degrees), "-i", str(source), "-c", "copy", str(path))
    return path


def raw_avi_declaring(path: Path, width: int, height: int) -> Path:
    """A 64×48 raw-video AVI whose headers claim `width`×`height`.

    Raw video has no in-band size, so these header fields are what ffmpeg believes.
    """
    ffmpeg(*picture("64x48", 5, 1), "-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(path))
    data = bytearray(path.read_bytes())
    avih = data.find(b"avih")  # dwWidth, dwHeight follow 8 other dwords
    struct.pack_into("<II", data, avih + 8 + 32, width, height)
    strf = data.find(b"strf")  # BITMAPINFOHEADER: biSize, biWidth, biHeight
    struct.pack_into("<ii", data, strf + 8 + 4, width, height)
    path.write_bytes(bytes(data))
    return path


def numbered(
    path: Path,
    *,
    seconds: float = 9,
    rate: str = "30000/1001",
    size: str = "320x240",
    sound: bool = False,
) -> Path:
    """Each frame one flat colour that spells its number (luma: n mod 50, blue: n div 50), so
    a decoded frame says which source frame it shows, through lossy encoding; with `sound`,
    a 440 Hz sine at 48 kHz as AAC."""
    picture = (
        f"color=c=black:size={size}:rate={rate}:duration={seconds},format=yuv420p,"
        "geq=lum='16+4*mod(N\\,50)':cb='16+4*mod(floor(N/50)\\,50)':cr=128"
    )
    sine = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    audio = [*sine, *AAC] if sound else []
    ffmpeg("-f", "lavfi", "-i", picture, *audio, *H264, "-g", "100", str(path))
    return path


def frame_number(y_center: int, u_center: int) -> int:
    """The number `numbered` painted, read back from the centre pixel of Y and U."""
    return round((y_center - 16) / 4) + 50 * round((u_center - 16) / 4)
