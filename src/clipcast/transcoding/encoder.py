"""Encoding rungs of the ladder with one ffmpeg run, and describing what it wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clipcast.adapters.media.ffmpeg import (
    ProgressCallback,
    RunningFfmpeg,
    ffmpeg_exe,
    run_ffmpeg,
)
from clipcast.adapters.media.probe import ProbeResult
from clipcast.transcoding.argv import (
    DEFAULT_CRF,
    INIT_NAME,
    PLAYLIST_NAME,
    SEGMENT_TEMPLATE,
    build_argv,
    output_fps,
    rung_dir,
)
from clipcast.transcoding.chunking import Chunk
from clipcast.transcoding.codecs import codecs_from_init
from clipcast.transcoding.ladder import Rung
from clipcast.transcoding.rendition import ClipInfo, RenditionSummary, summarize
from clipcast.transcoding.segments import PlaylistError, parse_media_playlist


@dataclass(frozen=True)
class EncodedClipFile:
    index: int  # in the whole rendition
    path: Path
    offset: float  # seconds from the start of the video
    duration: float  # seconds
    byte_size: int


@dataclass
class EncodedRendition:
    """One rung's init segment and clips on local disk (all of them, or one chunk's)."""

    rung: Rung
    directory: Path
    init_path: Path
    clips: list[EncodedClipFile]
    summary: RenditionSummary

    @property
    def codecs(self) -> str:
        return self.summary.codecs

    @property
    def frame_rate(self) -> float | None:
        return self.summary.frame_rate

    @property
    def bandwidth(self) -> int:
        return self.summary.bandwidth

    @property
    def average_bandwidth(self) -> int:
        return self.summary.average_bandwidth


async def encode(
    source: Path,
    probe: ProbeResult,
    rungs: Sequence[Rung],
    out_dir: Path,
    *,
    preset: str,
    stall_seconds: float,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[RunningFfmpeg], None] | None = None,
    clip_seconds: int = 2,
    chunk: Chunk | None = None,
    crf: int = DEFAULT_CRF,
) -> list[EncodedRendition]:
    """Encode `rungs` of `source` (or of one chunk of it) in one ffmpeg run into
    `out_dir/<rung name>/`."""
    await asyncio.to_thread(_make_dirs, out_dir, rungs)
    argv = build_argv(
        ffmpeg=ffmpeg_exe(),
        source=source,
        container=probe.container,
        source_fps=probe.fps,
        rungs=rungs,
        out_dir=out_dir,
        preset=preset,
        crf=crf,
        clip_seconds=clip_seconds,
        chunk=chunk,
    )
    await run_ffmpeg(
        argv,
        duration=_seconds_encoded(probe.duration, chunk),
        stall_seconds=stall_seconds,
        on_progress=on_progress,
        on_start=on_start,
    )
    frame_rate = float(output_fps(probe.fps))
    return [
        await asyncio.to_thread(describe_rendition, rung, out_dir, frame_rate, clip_seconds, chunk)
        for rung in rungs
    ]


def _seconds_encoded(duration: float, chunk: Chunk | None) -> float:
    if chunk is None:
        return duration
    end = duration if chunk.end is None else min(chunk.end, duration)
    return max(end - chunk.start, 0.0)


def _make_dirs(out_dir: Path, rungs: Sequence[Rung]) -> None:
    for rung in rungs:
        rung_dir(out_dir, rung).mkdir(parents=True, exist_ok=True)


def describe_rendition(
    rung: Rung,
    out_dir: Path,
    frame_rate: float,
    clip_seconds: int,
    chunk: Chunk | None = None,
    *,
    finished: bool = True,
) -> EncodedRendition:
    """Read back the playlist, clip sizes and init segment ffmpeg wrote for `rung`; with
    `finished` False, of the clips it has closed so far while it runs."""
    directory = rung_dir(out_dir, rung)
    init_path = directory / INIT_NAME
    first, start = (chunk.first_clip, chunk.start) if chunk else (0, 0)
    clips = []
    for listed in parse_media_playlist((directory / PLAYLIST_NAME).read_text(), finished=finished):
        index = first + listed.index
        if listed.filename != SEGMENT_TEMPLATE % index:
            raise PlaylistError(f"clip {index} was written as {listed.filename!r}")
        path = directory / listed.filename
        offset = round(start + listed.offset, 6)
        clips.append(EncodedClipFile(index, path, offset, listed.duration, path.stat().st_size))
    codecs = codecs_from_init(init_path.read_bytes())
    infos = [ClipInfo(c.index, c.offset, c.duration, c.byte_size) for c in clips]
    summary = summarize(rung, codecs, frame_rate, infos, clip_seconds)
    return EncodedRendition(rung, directory, init_path, clips, summary)
