"""ffmpeg command lines of the thumbnailer (pure).

Inputs are our own clips, copied behind their rendition's init segment into local `.mp4`
files (an init segment followed by fragments is a plain fragmented MP4). Still, the demuxer is
pinned and only local files may be opened, as for every ffmpeg run of clipcast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from clipcast.thumbnails.layout import Storyboard

CANDIDATE_PATTERN = "candidate-%02d.bmp"  # ≤ 99 candidates, so the names sort in order
CANDIDATE_GLOB = "candidate-*.bmp"
SHEET_PATTERN = "sheet-%d.jpg"
PREVIEW_NAME = "preview.webp"
SHEET_QUALITY = 5  # mjpeg qscale (2 best … 31 worst): tiles are small, 5 keeps text readable
PREVIEW_QUALITY = 60


def sheet_path(out_dir: Path, number: int) -> Path:
    """Where ffmpeg writes sprite sheet `number` (from 0) by SHEET_PATTERN."""
    return out_dir / f"sheet-{number}.jpg"


def _global_options(ffmpeg: str) -> list[str]:
    # `-progress` feeds the watchdog in run_ffmpeg; stderr keeps only warnings and errors.
    return [
        ffmpeg,
        *("-hide_banner", "-nostdin", "-y", "-loglevel", "warning", "-nostats"),
        *("-progress", "pipe:1", "-stats_period", "0.5"),
    ]


def _input(path: Path, *, keyframes_only: bool = False, seconds: float | None = None) -> list[str]:
    options = ["-skip_frame", "nokey"] if keyframes_only else []
    if seconds is not None:
        options += ["-t", f"{seconds:g}"]
    return [*options, "-f", "mov", "-protocol_whitelist", "file,pipe", "-i", f"file:{path}"]


def first_keyframes(min_gap: float) -> str:
    """A select filter that keeps the first keyframe of each clip.

    Our clips start with a keyframe and have no other, but a guard costs nothing: a frame
    closer than `min_gap` seconds to the last one kept is dropped, so each clip yields one.
    """
    return f"select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{min_gap:g})'"


def candidates_argv(
    *, ffmpeg: str, source: Path, out_dir: Path, size: tuple[int, int], count: int, min_gap: float
) -> list[str]:
    """The first frame of each clip in `source`, at the poster's size, as lossless BMP files."""
    width, height = size
    graph = f"[0:V:0]{first_keyframes(min_gap)},scale={width}:{height}:flags=lanczos,setsar=1[c]"
    return [
        *_global_options(ffmpeg),
        *_input(source, keyframes_only=True),
        *("-filter_complex", graph, "-map", "[c]"),
        *("-fps_mode", "passthrough", "-frames:v", str(count), "-c:v", "bmp"),
        *("-start_number", "0", str(out_dir / CANDIDATE_PATTERN)),
    ]


def storyboard_and_preview_argv(
    *,
    ffmpeg: str,
    storyboard_source: Path,
    board: Storyboard,
    min_gap: float,
    snippets: Sequence[Path],
    snippet_seconds: float,
    preview_size: tuple[int, int],
    preview_fps: int,
    out_dir: Path,
) -> list[str]:
    """One run, two outputs: sprite sheets of the storyboard and the animated WebP preview."""
    inputs = _input(storyboard_source, keyframes_only=True)
    for snippet in snippets:
        inputs += _input(snippet, seconds=snippet_seconds)
    sheet = (
        f"[0:V:0]{first_keyframes(min_gap)},"
        f"scale={board.tile_width}:{board.tile_height}:flags=lanczos,setsar=1,"
        f"tile={board.columns}x{board.rows}[sheets]"
    )
    labels = "".join(f"[{i + 1}:V:0]" for i in range(len(snippets)))
    width, height = preview_size
    preview = (
        f"{labels}concat=n={len(snippets)}:v=1:a=0,fps={preview_fps},"
        f"scale={width}:{height}:flags=lanczos,setsar=1[preview]"
    )
    return [
        *_global_options(ffmpeg),
        *inputs,
        *("-filter_complex", f"{sheet};{preview}"),
        *("-map", "[sheets]", "-fps_mode", "passthrough", "-q:v", str(SHEET_QUALITY)),
        *("-start_number", "0", str(out_dir / SHEET_PATTERN)),
        *("-map", "[preview]", "-c:v", "libwebp_anim", "-quality", str(PREVIEW_QUALITY)),
        *("-loop", "0", "-an", str(out_dir / PREVIEW_NAME)),
    ]
