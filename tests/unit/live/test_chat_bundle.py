"""What each clip document carries of the chat: the last 30 s (at most 50 messages, each
naming its clip and offset) and the latest deletions."""

from __future__ import annotations

from clipcast.adapters.chat.base import ChatMessage
from clipcast.live.chat_bundle import BUNDLE_MESSAGES, BUNDLE_SECONDS, bundled

NOW = 1_764_590_000.0


def message(n: int, age: float) -> ChatMessage:
    return ChatMessage(f"m{n}", "u1", "bob", f"text {n}", 10 + n, 0.25 * n, NOW - age)


def test_a_document_carries_the_recent_chat_each_at_its_clip_and_offset() -> None:
    items = bundled([message(1, BUNDLE_SECONDS + 1), message(2, 12), message(3, 0.5)], [], NOW)
    assert [(i["id"], i["index"], i["offset"]) for i in items] == [
        ("m2", 12, 0.5),
        ("m3", 13, 0.75),
    ]
    assert items[0]["text"] == "text 2" and items[0]["name"] == "bob"


def test_a_busy_chat_bundles_its_newest_messages_and_the_deletions() -> None:
    many = [message(n, 5) for n in range(80)]
    items = bundled(many, ["m1", "m2"], NOW)
    kept = [i["id"] for i in items if not i.get("deleted")]
    assert kept == [f"m{n}" for n in range(80 - BUNDLE_MESSAGES, 80)]
    assert items[-2:] == [{"id": "m1", "deleted": True}, {"id": "m2", "deleted": True}]
