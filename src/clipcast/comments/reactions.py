"""What comments read of their likes and dislikes: per-comment counts, the caller's own
reaction, and the popular order; kept by the activity feature's counters."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from clipcast.activity.rules import Reaction
from clipcast.adapters.counters.base import Counters


class Reactions(Protocol):
    """Likes and dislikes of comments as one caller should see them."""

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """(likes, dislikes) of each comment that has any, the caller's own votes included."""
        ...

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        """Up to `limit` comment ids of the video liked more than disliked, best first."""
        ...

    async def mine(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reaction]:
        """The caller's reaction to each comment (empty for an anonymous caller)."""
        ...


class Votes(Protocol):
    """The activity feature's per-caller reads (`clipcast.activity.votes.CommentVotes`)."""

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """(likes, dislikes) of each comment that has any, the caller's own votes included."""
        ...

    async def mine(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reaction]:
        """The caller's reaction to each comment."""
        ...


class CounterReactions:
    """Counts and the caller's reactions from activity's reads; the order from the counters'
    popular-comments set, keeping only net-liked comments: a comment liked and then unliked,
    or disliked, does not climb above the unrated ones (those follow newest first)."""

    def __init__(self, votes: Votes, counters: Counters) -> None:
        self._votes = votes
        self._counters = counters

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        return await self._votes.counts(comment_ids) if comment_ids else {}

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        ranked = await self._counters.popular_comments(video_id, 0, limit)
        return [comment for comment, score in ranked if score > 0]

    async def mine(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reaction]:
        return await self._votes.mine(comment_ids) if comment_ids else {}


class _Unrated:
    """Reactions of a comment nobody could have rated yet: one posted a moment ago."""

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:  # noqa: ARG002 - none yet
        return {}

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:  # noqa: ARG002 - none yet
        return []

    async def mine(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reaction]:  # noqa: ARG002 - none yet
        return {}


NO_REACTIONS: Reactions = _Unrated()
