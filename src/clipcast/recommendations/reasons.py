"""Why an item is recommended: a kind, and the tag or video it points at (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonKind(StrEnum):
    LIKED_TAG = "liked_tag"  # because you like #tag
    ALSO_WATCHED = "also_watched"  # viewers of X also watched
    POPULAR_IN_TAG = "popular_in_tag"  # popular in #tag
    NEW_IN_TAG = "new_in_tag"  # new in #tag
    POPULAR = "popular"  # popular now (no tag to name)


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    tag: str | None = None
    anchor: int | None = None  # an item index (scoring) or resolved by the caller to a video

    def text(self, anchor_title: str | None = None) -> str:
        """The sentence shown beside the item."""
        match self.kind:
            case ReasonKind.LIKED_TAG:
                return f"Because you like #{self.tag}"
            case ReasonKind.ALSO_WATCHED:
                return f"Viewers of “{anchor_title or 'a video you watched'}” also watched"
            case ReasonKind.POPULAR_IN_TAG:
                return f"Popular in #{self.tag}"
            case ReasonKind.NEW_IN_TAG:
                return f"New in #{self.tag}"
            case ReasonKind.POPULAR:
                return "Popular now"
