"""The chat bundled into each clip document (the live feature's `ChatSource`): the messages
of the last BUNDLE_SECONDS, each naming its clip and offset, and the ids deleted lately.

Clip N's document is written as clip N is published, while viewers play a few seconds
behind: a message about clip N mostly arrives after that document. So each document carries
the recent chat whatever its clips; a player holds each message until its own playback
reaches the message's clip and offset. A late joiner or a reconnecting viewer, who reads
only documents from the live edge on, gets the recent chat from the CDN with its first one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from clipcast.adapters.chat.base import ChatMessage, ChatStore, ChatStoreUnavailable
from clipcast.core.clock import utcnow

log = logging.getLogger(__name__)

BUNDLE_SECONDS = 30.0
BUNDLE_MESSAGES = 50
BUNDLE_DELETED = 50


def bundled(
    messages: Sequence[ChatMessage], removed: Sequence[str], now: float
) -> list[dict[str, Any]]:
    """Document items (pure): recent messages, then deletions as `{"id", "deleted": true}`."""
    recent = [m.to_json() for m in messages if m.sent_at > now - BUNDLE_SECONDS]
    gone = [{"id": i, "deleted": True} for i in removed[-BUNDLE_DELETED:]]
    return recent[-BUNDLE_MESSAGES:] + gone


class StoreChatSource:
    """Bundles from the chat store (memory or Redis), whichever process publishes the clip."""

    def __init__(self, store: ChatStore) -> None:
        self._store = store

    async def bundle(self, video_id: uuid.UUID, index: int) -> list[dict[str, Any]]:
        """Never raises: a chat store that is down costs the document its chat, not the clip."""
        try:
            messages, removed = await asyncio.gather(
                self._store.recent(video_id, BUNDLE_MESSAGES), self._store.removed(video_id)
            )
        except ChatStoreUnavailable as exc:
            log.warning("clip %d of %s goes out without chat: %s", index, video_id, exc)
            return []
        return bundled(messages, removed, utcnow().timestamp())
