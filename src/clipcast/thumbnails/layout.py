"""Sizes of thumbnails and the storyboard's grid, and its WebVTT thumbnails track (pure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CARD_BOX = (320, 180)
PLAYER_BOX = (1280, 720)
PREVIEW_BOX = (320, 180)
TILE_MAX_SIDE = 160  # 160×90 for 16:9: what YouTube and PeerTube show above a scrub bar
MAX_COLUMNS = 10
MAX_ROWS = 10  # ≤ 100 tiles a sheet: 1600×900 for 16:9, one JPEG of ~100 KB
# A scrub bar is about a thousand pixels wide: more tiles than this show nothing new, so long
# videos get a tile every few clips instead of every clip.
MAX_TILES = 400


def fit_within(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    """The size of `width`×`height` scaled to fit `box`, aspect kept, never upscaled; even sides.

    Even sides because the encoders we feed (yuv420p) need them.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"no picture size {width}×{height}")
    scale = min(box[0] / width, box[1] / height, 1.0)
    return _even(width * scale), _even(height * scale)


def covers(width: int, height: int, box: tuple[int, int]) -> bool:
    """True when a picture this size fills `box` along at least one side (no upscaling needed)."""
    return width >= box[0] or height >= box[1]


def tile_size(width: int, height: int, max_side: int = TILE_MAX_SIDE) -> tuple[int, int]:
    """A tile with its longer side `max_side` (landscape 160×90, portrait 90×160)."""
    return fit_within(width, height, (max_side, max_side))


def _even(value: float) -> int:
    return max(2, 2 * math.floor(value / 2 + 0.5))


@dataclass(frozen=True, slots=True)
class Storyboard:
    """A tile every `step` clips, starting at `starts` (seconds); `columns`×`rows` per sheet."""

    starts: tuple[float, ...]
    step: int
    interval: float  # nominal seconds between tiles: `step` clips
    tile_width: int
    tile_height: int
    columns: int
    rows: int

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def sheets(self) -> int:
        return math.ceil(self.count / self.per_sheet)

    @property
    def sheet_size(self) -> tuple[int, int]:
        # Every sheet has the full grid: the last one is padded, as ffmpeg's tile filter does.
        return self.columns * self.tile_width, self.rows * self.tile_height

    def place(self, tile: int) -> tuple[int, int, int]:
        """(sheet number, x, y) of tile number `tile`."""
        sheet, cell = divmod(tile, self.per_sheet)
        row, column = divmod(cell, self.columns)
        return sheet, column * self.tile_width, row * self.tile_height


def plan_storyboard(
    *,
    clip_offsets: Sequence[float],
    clip_seconds: float,
    width: int,
    height: int,
    max_tiles: int = MAX_TILES,
) -> Storyboard:
    """One tile per clip while that stays under `max_tiles`, else one every `step` clips.

    Each tile is the first frame of its clip, a keyframe, which ffmpeg decodes without
    touching the rest of the clip; `clip_offsets` are the clips' start times in order, and
    `clip_seconds` their nominal length.
    """
    if not clip_offsets:
        raise ValueError("a storyboard needs at least one clip")
    step = max(1, math.ceil(len(clip_offsets) / max_tiles))
    starts = tuple(clip_offsets[::step])
    columns = min(MAX_COLUMNS, len(starts))
    rows = min(MAX_ROWS, math.ceil(len(starts) / columns))
    tile_w, tile_h = tile_size(width, height)
    return Storyboard(starts, step, step * clip_seconds, tile_w, tile_h, columns, rows)


def vtt_timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def storyboard_vtt(board: Storyboard, duration: float, sheet_name: Callable[[int], str]) -> str:
    """A WebVTT thumbnails track: one cue per tile, `sheet.jpg#xywh=x,y,w,h` relative to the VTT.

    Each cue lasts until the next tile starts and the last until `duration`, so from the
    first tile on every moment of the video has one.
    """
    lines = ["WEBVTT", ""]
    ends = [*board.starts[1:], max(duration, board.starts[-1])]
    for tile, (start, end) in enumerate(zip(board.starts, ends, strict=True)):
        sheet, x, y = board.place(tile)
        lines += [
            f"{vtt_timestamp(start)} --> {vtt_timestamp(max(end, start + 0.001))}",
            f"{sheet_name(sheet)}#xywh={x},{y},{board.tile_width},{board.tile_height}",
            "",
        ]
    return "\n".join(lines)
