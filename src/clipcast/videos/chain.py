"""The clip chain: each clip names the next few, so players walk forward without asking (pure)."""

from __future__ import annotations

import uuid

from clipcast.core.ids import clip_id

NEXT_CLIPS = 3


def next_clip_ids(video_id: uuid.UUID, resolution: int, index: int, count: int) -> list[str]:
    """Ids of up to NEXT_CLIPS clips after `index` in a rendition of `count` clips."""
    last = min(count, index + 1 + NEXT_CLIPS)
    return [str(clip_id(video_id, resolution, i)) for i in range(index + 1, last)]


def object_prefix(video_id: uuid.UUID) -> str:
    return f"videos/{video_id}/"


def source_key(video_id: uuid.UUID) -> str:
    return f"sources/{video_id}/source"
