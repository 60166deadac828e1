"""Thumbnail units as the mapping names them, with the objects to store behind them (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from clipcast.thumbnails.keys import (
    ImageType,
    PosterSize,
    poster_key,
    preview_key,
    sheet_key,
    sheet_name,
    vtt_key,
)
from clipcast.thumbnails.layout import storyboard_vtt
from clipcast.thumbnails.mapping import (
    PosterSource,
    StoredPoster,
    StoredPreview,
    StoredSize,
    StoredStoryboard,
)
from clipcast.thumbnails.plan import PREVIEW_FPS

if TYPE_CHECKING:  # types only: this module runs no ffmpeg and decodes no picture
    from clipcast.thumbnails.generate import Motion
    from clipcast.thumbnails.images import PosterFiles

IMAGE_TYPES = {ImageType.JPEG: "image/jpeg", ImageType.WEBP: "image/webp"}
VTT_TYPE = "text/vtt"


@dataclass(frozen=True)
class Pending:
    """An object to store: bytes in memory or a file on local disk."""

    key: str
    data: bytes | Path
    content_type: str


def poster_unit(
    video_id: uuid.UUID,
    poster_id: uuid.UUID,
    files: PosterFiles,
    source: PosterSource,
    at: float | None,
) -> tuple[StoredPoster, list[Pending]]:
    """A poster at card and player sizes, each as JPEG and WebP, in its unit's folder."""
    objects: list[Pending] = []
    sizes: dict[PosterSize, StoredSize] = {}
    for size, (jpeg, webp) in ((PosterSize.CARD, files.card), (PosterSize.PLAYER, files.player)):
        keys = {img.kind: poster_key(video_id, poster_id, size, img.kind) for img in (jpeg, webp)}
        objects += [Pending(keys[i.kind], i.data, IMAGE_TYPES[i.kind]) for i in (jpeg, webp)]
        sizes[size] = StoredSize(
            width=jpeg.width,
            height=jpeg.height,
            jpeg=keys[ImageType.JPEG],
            webp=keys[ImageType.WEBP],
        )
    poster = StoredPoster(
        id=poster_id,
        source=source,
        at=at,
        card=sizes[PosterSize.CARD],
        player=sizes[PosterSize.PLAYER],
    )
    return poster, objects


def preview_unit(
    video_id: uuid.UUID, preview_id: uuid.UUID, made: Motion
) -> tuple[StoredPreview, list[Pending]]:
    """The animated WebP shown when a card is hovered."""
    key = preview_key(video_id, preview_id)
    width, height = made.preview_size
    preview = StoredPreview(
        id=preview_id,
        key=key,
        width=width,
        height=height,
        frames=made.preview_frames,
        fps=PREVIEW_FPS,
    )
    return preview, [Pending(key, made.preview, IMAGE_TYPES[ImageType.WEBP])]


def storyboard_unit(
    video_id: uuid.UUID, board_id: uuid.UUID, made: Motion, duration: float
) -> tuple[StoredStoryboard, list[Pending]]:
    """Sprite sheets and the WebVTT track naming them (listed last: it is stored last)."""
    board = made.board
    sheets = [sheet_key(video_id, board_id, n) for n in range(board.sheets)]
    vtt = storyboard_vtt(board, duration, sheet_name)
    stored = StoredStoryboard(
        id=board_id,
        vtt=vtt_key(video_id, board_id),
        sheets=sheets,
        tile_width=board.tile_width,
        tile_height=board.tile_height,
        columns=board.columns,
        rows=board.rows,
        count=board.count,
        interval=board.interval,
    )
    jpeg = IMAGE_TYPES[ImageType.JPEG]
    objects = [Pending(k, p, jpeg) for k, p in zip(sheets, made.sheets, strict=True)]
    return stored, [*objects, Pending(stored.vtt, vtt.encode(), VTT_TYPE)]
