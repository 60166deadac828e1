"""Comment likes and dislikes as the comments feature reads them (its `Reactions` port), for
one caller: counts with the caller's own votes merged in at once, the popular order, and the
caller's own reaction to each comment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity.reads import Wanted, own_view
from clipcast.activity.rules import Reaction
from clipcast.adapters.counters.base import Counters


class CommentVotes:
    """Implements `clipcast.comments.reactions.Reactions`; `viewer_id` None for anonymous."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        counters: Counters,
        viewer_id: uuid.UUID | None,
        clip_seconds: int,
    ) -> None:
        self._sessions = sessions
        self._counters = counters
        self._viewer = viewer_id
        self._clip_seconds = clip_seconds

    async def counts(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        """(likes, dislikes) of each comment that has any; the caller's votes included."""
        own = await own_view(
            sessions=self._sessions,
            counters=self._counters,
            viewer_id=self._viewer,
            wanted=Wanted(comments=frozenset(comment_ids)),
            clip_seconds=self._clip_seconds,
        )
        wanted = set(comment_ids)
        return {
            comment: (counts.likes, counts.dislikes)
            for comment, counts in own.comments().items()
            if comment in wanted and (counts.likes or counts.dislikes)
        }

    async def popular(self, video_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
        """Up to `limit` comment ids of the video by likes − dislikes, best first."""
        ranked = await self._counters.popular_comments(video_id, 0, limit)
        return [comment for comment, _ in ranked]

    async def mine(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Reaction]:
        """The caller's reaction to each comment (none for anonymous callers)."""
        if self._viewer is None:
            return {}
        own = await own_view(
            sessions=self._sessions,
            counters=self._counters,
            viewer_id=self._viewer,
            wanted=Wanted(comments=frozenset(comment_ids)),
            clip_seconds=self._clip_seconds,
        )
        reactions = own.after.reactions
        return {
            c: reactions[(self._viewer, c)].reaction
            if (self._viewer, c) in reactions
            else Reaction.NONE
            for c in comment_ids
        }
