"""Live chat's dependencies in one process: the store the composition root built, the sockets
held here, the streams' facts as last read."""

from __future__ import annotations

from typing import Any

from clipcast.adapters.chat.base import ChatStore
from clipcast.live.chat_bundle import StoreChatSource
from clipcast.live.chat_rooms import ChatRooms
from clipcast.live.chat_service import ChatDeps, FactsCache


def chat_deps(state: Any) -> ChatDeps:
    """What the chat routes hand the use cases (made on first use, kept on the app's state)."""
    facts: FactsCache | None = getattr(state, "chat_facts", None)
    if facts is None:
        facts = state.chat_facts = FactsCache()
    adapters = state.adapters
    return ChatDeps(
        sessions=adapters.sessions,
        store=adapters.chat,
        facts=facts,
        clip_seconds=adapters.settings.clip_seconds,
    )


def rooms_of(state: Any) -> ChatRooms:
    rooms: ChatRooms | None = getattr(state, "chat_rooms", None)
    if rooms is None:
        rooms = state.chat_rooms = ChatRooms(state.adapters.chat)
    return rooms


def chat_source(store: ChatStore) -> StoreChatSource:
    """The chat the live feature bundles into each clip document."""
    return StoreChatSource(store)
