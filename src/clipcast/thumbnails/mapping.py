"""The thumbnail mapping stored on the video row (`videos.thumbnails`), and how it changes (pure).

The original design's "thumbnail mapping uuid → object URI": each unit has a uuid and the keys
of its objects, all under `videos/{id}/thumbs/{uuid}/`:

    {"version": 1,
     "poster": {"id": uuid, "source": "auto" | "custom", "at": 12.0 | null,
                "card":   {"width": 320, "height": 180,
                           "jpeg": "videos/{id}/thumbs/{uuid}/card.jpg",
                           "webp": "videos/{id}/thumbs/{uuid}/card.webp"},
                "player": {"width": 1280, "height": 720, "jpeg": "….jpg", "webp": "….webp"}},
     "preview": {"id": uuid, "key": "videos/{id}/thumbs/{uuid}/preview.webp",
                 "width": 320, "height": 180, "frames": 40, "fps": 10},
     "storyboard": {"id": uuid, "vtt": "videos/{id}/thumbs/{uuid}/storyboard.vtt",
                    "sheets": ["videos/{id}/thumbs/{uuid}/sheet-0.jpg", …],
                    "tile_width": 160, "tile_height": 90, "columns": 10, "rows": 3,
                    "count": 30, "interval": 2.0}}

Any unit may be missing (null): thumbnails are optional and pages do without them.
"""

from __future__ import annotations

import logging
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

MAPPING_VERSION = 1


class PosterSource(StrEnum):
    AUTO = "auto"  # picked by the thumbnailer among candidate frames
    CUSTOM = "custom"  # uploaded by the owner; the thumbnailer never replaces it


class StoredSize(BaseModel):
    width: int
    height: int
    jpeg: str
    webp: str


class StoredPoster(BaseModel):
    id: uuid.UUID
    source: PosterSource
    at: float | None = None  # seconds into the video of the frame (auto posters)
    card: StoredSize
    player: StoredSize


class StoredPreview(BaseModel):
    id: uuid.UUID
    key: str
    width: int
    height: int
    frames: int
    fps: int


class StoredStoryboard(BaseModel):
    id: uuid.UUID
    vtt: str
    sheets: list[str]
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    count: int
    interval: float  # seconds between tiles, nominal; the VTT has each cue's exact times


class ThumbnailMap(BaseModel):
    version: int = MAPPING_VERSION
    poster: StoredPoster | None = None
    preview: StoredPreview | None = None
    storyboard: StoredStoryboard | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def load(raw: dict[str, Any] | None) -> ThumbnailMap:
    """The mapping stored on a row; an empty or unreadable one reads as no thumbnails."""
    if not raw:
        return ThumbnailMap()
    try:
        return ThumbnailMap.model_validate(raw)
    except ValidationError:
        log.warning("unreadable thumbnail mapping ignored: %r", raw)
        return ThumbnailMap()


def unit_ids(mapping: ThumbnailMap) -> set[uuid.UUID]:
    """The uuid of every unit the mapping names."""
    units = (mapping.poster, mapping.preview, mapping.storyboard)
    return {unit.id for unit in units if unit is not None}


def object_keys(mapping: ThumbnailMap) -> set[str]:
    """Every object key the mapping names."""
    keys: set[str] = set()
    if (poster := mapping.poster) is not None:
        keys |= {k for s in (poster.card, poster.player) for k in (s.jpeg, s.webp)}
    if mapping.preview is not None:
        keys.add(mapping.preview.key)
    if mapping.storyboard is not None:
        keys |= {mapping.storyboard.vtt, *mapping.storyboard.sheets}
    return keys


def has_custom_poster(mapping: ThumbnailMap) -> bool:
    return mapping.poster is not None and mapping.poster.source is PosterSource.CUSTOM


def merge_generated(current: ThumbnailMap, generated: ThumbnailMap) -> ThumbnailMap:
    """What a thumbnailer run stores: all it made, except that an uploaded poster stays."""
    poster = current.poster if has_custom_poster(current) else generated.poster
    return generated.model_copy(update={"poster": poster})


def with_poster(current: ThumbnailMap, poster: StoredPoster) -> ThumbnailMap:
    return current.model_copy(update={"poster": poster})


def stale_units(
    written: set[uuid.UUID], before: ThumbnailMap, after: ThumbnailMap
) -> set[uuid.UUID]:
    """Units to delete once `after` is committed: those `before` named or we wrote, if unused."""
    return (written | unit_ids(before)) - unit_ids(after)
