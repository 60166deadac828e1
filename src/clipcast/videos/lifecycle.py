"""Video states and the transitions allowed between them (pure)."""

from __future__ import annotations

from enum import StrEnum


class VideoState(StrEnum):
    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"


_ALLOWED: dict[VideoState, frozenset[VideoState]] = {
    VideoState.UPLOADING: frozenset({VideoState.PROCESSING, VideoState.FAILED}),
    VideoState.PROCESSING: frozenset({VideoState.READY, VideoState.FAILED}),
    VideoState.READY: frozenset(),
    VideoState.FAILED: frozenset(),
}


class IllegalTransition(Exception):
    pass


def check_transition(current: VideoState, target: VideoState) -> None:
    """Raise unless `current -> target` is a legal move; ready and failed are final."""
    if target not in _ALLOWED[current]:
        raise IllegalTransition(f"{current} -> {target}")


def can_watch(
    *, visibility: Visibility, owner_id: object, viewer_id: object | None, has_token: bool
) -> bool:
    """Public and unlisted media is for anyone with the link; private for its owner or a token."""
    if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    return has_token or (viewer_id is not None and viewer_id == owner_id)
