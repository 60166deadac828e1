"""Object keys of thumbnails, made from server ids only (pure).

Each thumbnail unit (a poster at all its sizes, a hover preview, a storyboard) lives in a
folder named by its own uuid, `videos/{id}/thumbs/{uuid}/…`, which is what the video's mapping
names; replacing a unit deletes its folder. Content never changes under a uuid, so the CDN
may cache every object for good.

Generated units take uuids derived from the video and from what they were made of, so a
redelivered `video.ready` rewrites the same keys and leaves exactly one set of objects; a
re-encode or a new generator version gives new uuids. Uploaded posters get random uuids.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

# Bump when the generator's output changes, so new objects get new keys (and caches miss).
GENERATOR_VERSION = 1


class ImageType(StrEnum):
    JPEG = "jpg"
    WEBP = "webp"


class PosterSize(StrEnum):
    CARD = "card"
    PLAYER = "player"


class Unit(StrEnum):
    POSTER = "poster"
    PREVIEW = "preview"
    STORYBOARD = "storyboard"


def thumbs_prefix(video_id: uuid.UUID) -> str:
    return f"videos/{video_id}/thumbs/"


def unit_prefix(video_id: uuid.UUID, unit_id: uuid.UUID) -> str:
    return f"{thumbs_prefix(video_id)}{unit_id}/"


def poster_key(video_id: uuid.UUID, poster_id: uuid.UUID, size: PosterSize, kind: ImageType) -> str:
    return f"{unit_prefix(video_id, poster_id)}{size}.{kind}"


def preview_key(video_id: uuid.UUID, preview_id: uuid.UUID) -> str:
    return f"{unit_prefix(video_id, preview_id)}preview.webp"


def vtt_key(video_id: uuid.UUID, storyboard_id: uuid.UUID) -> str:
    return f"{unit_prefix(video_id, storyboard_id)}storyboard.vtt"


def sheet_name(number: int) -> str:
    """A sprite sheet's name, which is also its URL relative to the storyboard's VTT (beside
    it), so the VTT's links resolve under any CDN root, signed token path included."""
    return f"sheet-{number}.jpg"


def sheet_key(video_id: uuid.UUID, storyboard_id: uuid.UUID, number: int) -> str:
    return f"{unit_prefix(video_id, storyboard_id)}{sheet_name(number)}"


def generated_id(video_id: uuid.UUID, unit: Unit, fingerprint: str) -> uuid.UUID:
    """The uuid of a generated unit: the same for the same video, inputs and generator."""
    return uuid.uuid5(video_id, f"thumbnails/v{GENERATOR_VERSION}/{unit}/{fingerprint}")
