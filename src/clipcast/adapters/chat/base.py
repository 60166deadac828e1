"""The live chat store port: a bounded, brief store of each stream's recent chat, the flood
counters and moderation of its senders, and the channel that fans its events out to every
process holding a chat socket of the stream.

It is not the record: each accepted message is also written to SQL (the recording's chat).
It keeps what a live page needs within moments: the newest messages for clip documents and
for a socket that (re)connects, the messages deleted lately, who may not post.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from clipcast.live.chat_rules import Restriction

KEEP_MESSAGES = 200  # per stream: what documents and (re)connecting sockets are given
KEEP_SECONDS = 3600  # a stream's chat is forgotten this long after its last message
MODERATION_SECONDS = 2 * 24 * 3600  # a ban lasts the stream (streams are shorter than this)


class ChatStoreUnavailable(Exception):
    """The store could not be reached (a listener's connection dropped, say)."""


class EventType(StrEnum):
    MESSAGE = "message"
    DELETED = "deleted"
    RESTRICTED = "restricted"  # a timeout or a ban; `until` null for a ban
    LIFTED = "lifted"
    ENDED = "ended"
    RESYNC = "resync"  # the listener fell behind and missed events: read `recent` again


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One accepted message, at the position (clip index, offset) its sender saw."""

    id: str
    user_id: str
    name: str
    text: str
    index: int
    offset: float
    sent_at: float  # seconds since the epoch, the server's clock
    by_owner: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "text": self.text,
            "index": self.index,
            "offset": round(self.offset, 3),
            "sent_at": datetime.fromtimestamp(self.sent_at, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "owner": self.by_owner,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatMessage:
        sent = datetime.fromisoformat(str(data["sent_at"]).replace("Z", "+00:00"))
        return cls(
            id=str(data["id"]),
            user_id=str(data["user_id"]),
            name=str(data["name"]),
            text=str(data["text"]),
            index=int(data["index"]),
            offset=float(data["offset"]),
            sent_at=sent.timestamp(),
            by_owner=bool(data.get("owner", False)),
        )


def message_event(message: ChatMessage) -> dict[str, Any]:
    return {"type": EventType.MESSAGE, "message": message.to_json()}


class ChatStore(Protocol):
    """Recent chat per stream, with its fan-out. Times are given by the caller (seconds)."""

    async def append(self, video_id: uuid.UUID, message: ChatMessage) -> None:
        """Keep the message (the newest KEEP_MESSAGES per stream) and announce it."""
        ...

    async def recent(self, video_id: uuid.UUID, limit: int) -> list[ChatMessage]:
        """The newest `limit` messages kept, oldest first, deleted ones left out."""
        ...

    async def remove(self, video_id: uuid.UUID, message_id: str) -> None:
        """Delete a message: left out of `recent`, listed by `removed`, announced."""
        ...

    async def removed(self, video_id: uuid.UUID) -> list[str]:
        """Ids of the messages deleted lately (the newest KEEP_MESSAGES), oldest first."""
        ...

    async def admit(
        self, video_id: uuid.UUID, user_id: str, now: float, limit: int, window: float
    ) -> float:
        """The flood gate: 0 when the user had fewer than `limit` messages admitted in the
        last `window` seconds, and this one is counted; else the seconds to wait (nothing
        counted). Atomic, whichever process asks."""
        ...

    async def restrict(
        self, video_id: uuid.UUID, user_id: str, restriction: Restriction | None
    ) -> None:
        """Set (or, with None, lift) a user's timeout or ban, and announce it."""
        ...

    async def restriction(self, video_id: uuid.UUID, user_id: str) -> Restriction | None: ...

    async def announce(self, video_id: uuid.UUID, event: dict[str, Any]) -> None:
        """Send an event to every listener of the stream, in every process."""
        ...

    def listen(
        self, video_id: uuid.UUID
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """The stream's events from the moment the context is entered (every event announced
        after entry is delivered, in order)."""
        ...

    async def close(self) -> None: ...
