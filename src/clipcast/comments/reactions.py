"""What comments read of their likes and dislikes: per-comment counts and the popular order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol


class Reactions(Protocol):
    """Likes and dislikes of comments, kept by the activity counters."""

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """(likes, dislikes) of each comment that has any; others are absent."""
        ...

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        """Up to `limit` comment ids of the video, most popular first."""
        ...


class _Unrated:
    """Reactions of comments nobody could have rated yet: one posted a moment ago."""

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:  # noqa: ARG002 - none yet
        return {}

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:  # noqa: ARG002 - none yet
        return []


NO_REACTIONS: Reactions = _Unrated()
