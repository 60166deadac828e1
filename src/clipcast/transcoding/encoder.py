"""Encoding rungs of the ladder with one ffmpeg run, and describing what it wrote."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipcast.adapters.media.ffmpeg import ProgressCallback, ffmpeg_exe, run_ffmpeg
from clipcast.adapters.media.probe import ProbeResult
from clipcast.transcoding.argv import (
    INIT_NAME,
    PLAYLIST_NAME,
    build_argv,
    output_fps,
    rung_dir,
)
from clipcast.transcoding.codecs import codecs_from_init
from clipcast.transcoding.ladder import Rung
from clipcast.transcoding.segments import average_bandwidth, parse_media_playlist, peak_bandwidth


@dataclass(frozen=True)
class EncodedClipFile:
    index: int
    path: Path
    offset: float  # seconds from the start of the video
    duration: float  # seconds
    byte_size: int


@dataclass
class EncodedRendition:
    """One rung's init segment and clips on local disk, with what a master playlist needs."""

    rung: Rung
    directory: Path
    init_path: Path
    clips: list[EncodedClipFile]
    codecs: str  # RFC 6381, e.g. "avc1.64001f,mp4a.40.2"
    bandwidth: int  # peak bits/s (BANDWIDTH)
    average_bandwidth: int  # bits/s (AVERAGE-BANDWIDTH)
    frame_rate: float | None  # None for audio only


async def encode(
    source: Path,
    probe: ProbeResult,
    rungs: Sequence[Rung],
    out_dir: Path,
    *,
    preset: str,
    stall_seconds: float,
    on_progress: ProgressCallback | None = None,
    clip_seconds: int = 2,
) -> list[EncodedRendition]:
    """Encode `rungs` of `source` in one ffmpeg run into `out_dir/<rung name>/`."""
    await asyncio.to_thread(_make_dirs, out_dir, rungs)
    argv = build_argv(
        ffmpeg=ffmpeg_exe(),
        source=source,
        container=probe.container,
        source_fps=probe.fps,
        rungs=rungs,
        out_dir=out_dir,
        preset=preset,
        clip_seconds=clip_seconds,
    )
    await run_ffmpeg(
        argv, duration=probe.duration, stall_seconds=stall_seconds, on_progress=on_progress
    )
    frame_rate = float(output_fps(probe.fps))
    return [
        await asyncio.to_thread(describe_rendition, rung, out_dir, frame_rate, clip_seconds)
        for rung in rungs
    ]


def _make_dirs(out_dir: Path, rungs: Sequence[Rung]) -> None:
    for rung in rungs:
        rung_dir(out_dir, rung).mkdir(parents=True, exist_ok=True)


def describe_rendition(
    rung: Rung, out_dir: Path, frame_rate: float, clip_seconds: int
) -> EncodedRendition:
    """Read back the playlist, clip sizes and init segment ffmpeg wrote for `rung`."""
    directory = rung_dir(out_dir, rung)
    init_path = directory / INIT_NAME
    listed = parse_media_playlist((directory / PLAYLIST_NAME).read_text())
    clips = [
        EncodedClipFile(
            c.index,
            directory / c.filename,
            c.offset,
            c.duration,
            (directory / c.filename).stat().st_size,
        )
        for c in listed
    ]
    sizes = [c.byte_size for c in clips]
    durations = [c.duration for c in clips]
    target = max([clip_seconds, *(math.ceil(d - 1e-3) for d in durations)])
    return EncodedRendition(
        rung=rung,
        directory=directory,
        init_path=init_path,
        clips=clips,
        codecs=codecs_from_init(init_path.read_bytes()),
        bandwidth=peak_bandwidth(sizes, durations, target),
        average_bandwidth=average_bandwidth(sizes, durations),
        frame_rate=frame_rate if rung.has_video else None,
    )
