"""Server-made identifiers; object keys are derived from these, never from user input."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def clip_id(video_id: uuid.UUID, height: int, index: int) -> uuid.UUID:
    """A clip's uuid is derived, so the next clips' ids are known before their rows exist."""
    return uuid.uuid5(video_id, f"clip/{height}/{index}")


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
