"""Which videos the index holds, and what it holds of each (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from clipcast.adapters.search.base import SearchDoc
from clipcast.thumbnails.urls import thumbnail_urls
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video

MAX_TAGS = 32


def indexable(video: Video) -> bool:
    """Only ready videos and live streams: nothing else can be watched, so nothing else may
    be found. A stream is found from the moment it is created (its metadata comes first)."""
    return video.state in (VideoState.READY, VideoState.LIVE)


def listed(visibility: Visibility) -> bool:
    """Found by everyone. Unlisted videos are watchable by link but never listed; they, like
    private ones, are found only by their owner."""
    return visibility is Visibility.PUBLIC


def clean_tags(raw: Iterable[Any]) -> tuple[str, ...]:
    """Distinct non-empty tags, in order, as strings."""
    tags = (str(t).strip() for t in raw if t is not None)
    return tuple(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]


def video_tags(video: Video) -> tuple[str, ...]:
    # Videos have no tags column yet (it needs a migration: `videos.tags`, a JSON list).
    # Reading it by name means indexing picks tags up the day the column exists.
    return clean_tags(getattr(video, "tags", None) or ())


def to_document(
    video: Video,
    owner_name: str,
    popularity: float = 0.0,
    groups: Iterable[uuid.UUID] = (),
) -> SearchDoc:
    """`groups`: the video's share groups, whose members find it if its visibility is group."""
    visibility = Visibility(video.visibility)
    return SearchDoc(
        video_id=video.id,
        title=video.title,
        description=video.description or "",
        tags=video_tags(video),
        owner_id=video.owner_id,
        owner_name=owner_name,
        visibility=visibility.value,
        listed=listed(visibility),
        created_at=video.created_at,
        duration=float(video.duration or 0.0),
        popularity=popularity,
        thumbnails=card_thumbnails(video.thumbnails, video.id),
        groups=tuple(sorted(groups)) if visibility is Visibility.GROUP else (),
        key_version=video.key_version or 0,
        live=video.state == VideoState.LIVE,
    )


# Where the video's media root goes in a stored thumbnails JSON (as JSON writes it): public
# and signed roots differ per reader, so the index keeps the mark and a search fills it in.
ROOT_MARK = "\x00"
ROOT_MARK_JSON = "\\u0000"


def card_thumbnails(raw: dict[str, Any] | None, video_id: uuid.UUID) -> str:
    """The poster and hover preview of the thumbnail mapping as the API's `thumbnails` JSON,
    each URL starting with ROOT_MARK (the storyboard is for the player, not for a card)."""
    if not raw:
        return ""
    out = thumbnail_urls(raw, ROOT_MARK, video_id)
    return out.model_dump_json(include={"poster", "preview"}, exclude_none=True)
