"""Tiny test media made with ffmpeg's lavfi sources; nothing is committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg


def make_video(
    path: Path,
    *,
    seconds: float = 5,
    size: str = "320x240",
    fps: int = 25,
    audio: bool = True,
    video: bool = True,
    extra: list[str] | None = None,
) -> Path:
    """A testsrc2 picture with a sine tone, H.264/AAC in the container `path`'s suffix implies."""
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    if video:
        argv += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    if video:
        argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        argv += ["-c:a", "aac", "-b:a", "64k"]
    argv += [*(extra or []), str(path)]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)
    return path
