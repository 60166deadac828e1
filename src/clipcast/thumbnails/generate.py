"""Making the pictures on local disk: candidate frames, the poster, sprite sheets, the preview.

ffmpeg does the decoding in child processes (watched by run_ffmpeg); Pillow measures frames and
encodes the poster sizes in a thread. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipcast.adapters.media.ffmpeg import ffmpeg_exe, run_ffmpeg
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.thumbnails import argv
from clipcast.thumbnails.images import PosterFiles, animation_frames, frame_stats, poster_from_frame
from clipcast.thumbnails.inputs import clips_file
from clipcast.thumbnails.layout import (
    PLAYER_BOX,
    PREVIEW_BOX,
    Storyboard,
    fit_within,
    plan_storyboard,
)
from clipcast.thumbnails.plan import (
    PREVIEW_FPS,
    SNIPPET_SECONDS,
    ClipRef,
    RenditionRef,
    candidate_clips,
)
from clipcast.thumbnails.scoring import FrameStats, rank

# A clip's first keyframe is kept, any other keyframe closer than this share of a clip dropped.
_KEYFRAME_GAP = 0.75


class ThumbnailsFailed(Exception):
    """ffmpeg wrote something other than what was planned."""


@dataclass(frozen=True)
class Source:
    """One rendition of the video and its clips, in order."""

    rendition: RenditionRef
    clips: list[ClipRef]

    @property
    def clip_seconds(self) -> float:
        """The clips' nominal length (the last one may be shorter)."""
        return statistics.median(c.duration for c in self.clips)

    @property
    def min_gap(self) -> float:
        return _KEYFRAME_GAP * self.clip_seconds


@dataclass(frozen=True)
class Candidate:
    clip: ClipRef
    path: Path
    stats: FrameStats


@dataclass(frozen=True)
class Motion:
    """The storyboard's sheets and the hover preview, as files."""

    board: Storyboard
    sheets: list[Path]
    preview: Path
    preview_size: tuple[int, int]
    preview_frames: int


async def ranked_candidates(
    storage: ObjectStorage, source: Source, duration: float, work: Path, stall: float
) -> list[Candidate]:
    """Candidate frames spread over the video, best poster first."""
    # A clip shorter than the keyframe gap (a live stream's, cut short where its feed was
    # interrupted) would put the next candidate's keyframe too close to be kept.
    whole = [c for c in source.clips if c.duration >= source.min_gap] or source.clips
    clips = candidate_clips(whole, duration)
    if not clips:
        return []
    out_dir = work / "candidates"
    await asyncio.to_thread(out_dir.mkdir, parents=True)
    packed = await clips_file(storage, source.rendition, clips, work / "candidates.mp4")
    size = fit_within(source.rendition.width, source.rendition.height, PLAYER_BOX)
    command = argv.candidates_argv(
        ffmpeg=ffmpeg_exe(),
        source=packed,
        out_dir=out_dir,
        size=size,
        count=len(clips),
        min_gap=source.min_gap,
    )
    await run_ffmpeg(command, duration=None, stall_seconds=stall, on_progress=None)
    frames = sorted(out_dir.glob(argv.CANDIDATE_GLOB))
    if len(frames) != len(clips):
        raise ThumbnailsFailed(f"{len(frames)} candidate frames for {len(clips)} clips")
    stats = [await asyncio.to_thread(frame_stats, path) for path in frames]
    candidates = [Candidate(c, p, s) for c, p, s in zip(clips, frames, stats, strict=True)]
    return [candidates[i] for i in rank(stats)]


async def poster_files(candidate: Candidate) -> PosterFiles:
    return await asyncio.to_thread(poster_from_frame, candidate.path)


async def motion(
    storage: ObjectStorage,
    source: Source,
    snippets: Sequence[ClipRef],
    work: Path,
    stall: float,
) -> Motion:
    """Sprite sheets (a tile per clip or every few clips) and the preview, in one ffmpeg run."""
    rendition = source.rendition
    board = plan_storyboard(
        clip_offsets=[c.offset for c in source.clips],
        clip_seconds=source.clip_seconds,
        width=rendition.width,
        height=rendition.height,
    )
    tiles = source.clips[:: board.step]
    board_file = await clips_file(storage, rendition, tiles, work / "storyboard.mp4")
    snippet_files = [
        await clips_file(storage, rendition, [c], work / f"snippet-{n}.mp4")
        for n, c in enumerate(snippets)
    ]
    out_dir = work / "motion"
    await asyncio.to_thread(out_dir.mkdir, parents=True)
    preview_size = fit_within(rendition.width, rendition.height, PREVIEW_BOX)
    command = argv.storyboard_and_preview_argv(
        ffmpeg=ffmpeg_exe(),
        storyboard_source=board_file,
        board=board,
        min_gap=source.min_gap,
        snippets=snippet_files,
        snippet_seconds=SNIPPET_SECONDS,
        preview_size=preview_size,
        preview_fps=PREVIEW_FPS,
        out_dir=out_dir,
    )
    await run_ffmpeg(command, duration=None, stall_seconds=stall, on_progress=None)
    return await _collect(board, out_dir, preview_size)


async def _collect(board: Storyboard, out_dir: Path, preview_size: tuple[int, int]) -> Motion:
    sheets = [argv.sheet_path(out_dir, n) for n in range(board.sheets)]
    missing = [p.name for p in sheets if not p.exists()]
    if missing or argv.sheet_path(out_dir, board.sheets).exists():
        raise ThumbnailsFailed(f"sprite sheets other than the {board.sheets} planned")
    preview = out_dir / argv.PREVIEW_NAME
    frames = await asyncio.to_thread(animation_frames, preview)
    return Motion(board, sheets, preview, preview_size, frames)
