"""Object keys of the parts that chunked encodes leave until one is published (pure)."""

from __future__ import annotations

import uuid

from clipcast.videos.keys import rendition_prefix


def parts_prefix(video_id: uuid.UUID, resolution: int) -> str:
    """Where the chunks of a rendition leave their init segments until one is published."""
    return rendition_prefix(video_id, resolution) + "parts/"


def part_init_key(video_id: uuid.UUID, resolution: int, chunk: int) -> str:
    return f"{parts_prefix(video_id, resolution)}{chunk:05d}-init.mp4"
