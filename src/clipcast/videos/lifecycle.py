"""Video states and the transitions allowed between them (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class VideoState(StrEnum):
    UPLOADING = "uploading"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    LIVE = "live"  # a live stream on the air; its recording becomes a video when it ends


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    PRIVATE = "private"
    GROUP = "group"  # the owner and the members of the video's share groups


_ALLOWED: dict[VideoState, frozenset[VideoState]] = {
    VideoState.UPLOADING: frozenset({VideoState.PROCESSING, VideoState.FAILED}),
    VideoState.PROCESSING: frozenset({VideoState.READY, VideoState.FAILED}),
    VideoState.READY: frozenset(),
    VideoState.FAILED: frozenset(),
    # Ended: its clips are made a VOD (processing), or it failed (nothing was ever received).
    VideoState.LIVE: frozenset({VideoState.PROCESSING, VideoState.FAILED}),
}


class IllegalTransition(Exception):
    pass


def check_transition(current: VideoState, target: VideoState) -> None:
    """Raise unless `current -> target` is a legal move; ready and failed are final."""
    if target not in _ALLOWED[current]:
        raise IllegalTransition(f"{current} -> {target}")


def can_watch(
    *,
    visibility: Visibility,
    owner_id: object,
    viewer_id: object | None,
    has_token: bool,
    in_group: bool = False,
) -> bool:
    """Public and unlisted media is for anyone with the link; group media also for members of
    one of the video's groups (`in_group`); any of it for its owner or a valid token."""
    if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if has_token or (viewer_id is not None and viewer_id == owner_id):
        return True
    return visibility is Visibility.GROUP and in_group


def can_find(
    *, visibility: Visibility, owner_id: object, viewer_id: object | None, in_group: bool = False
) -> bool:
    """Shown in listings and search: public videos to everyone, group videos to their
    members, and every video to its owner. Unlisted ones are watched by link, never found."""
    if visibility is Visibility.PUBLIC:
        return True
    if viewer_id is not None and viewer_id == owner_id:
        return True
    return visibility is Visibility.GROUP and in_group


@dataclass(frozen=True)
class Audience:
    """Who may watch a video: its visibility and, for `group`, the ids of its groups."""

    visibility: Visibility
    groups: frozenset[uuid.UUID] = frozenset()


# Each visibility's audience contains those after it: anyone with the link includes every
# group member, a group's members include the owner.
_BREADTH = {
    Visibility.PUBLIC: 3,
    Visibility.UNLISTED: 3,
    Visibility.GROUP: 1,
    Visibility.PRIVATE: 0,
}


def narrows(old: Audience, new: Audience) -> bool:
    """Whether someone who could watch under `old` may not under `new`: then playback tokens
    already handed out must stop working (the video's key version moves on).

    Public and unlisted have the same audience for media (anyone holding a URL); a group
    audience shrinks when any of its groups is dropped.
    """
    if _BREADTH[new.visibility] < _BREADTH[old.visibility]:
        return True
    both_groups = old.visibility is Visibility.GROUP and new.visibility is Visibility.GROUP
    return both_groups and not old.groups <= new.groups
