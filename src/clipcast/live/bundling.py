"""The seam where chat joins the clip documents: what is bundled into clip N's document.

The live feature asks a `ChatSource` for clip N's chat just before it writes clip N's
document, and puts the answer, as given, in the document's `chat` array. The app wires in
live chat's `StoreChatSource` (live/chat_bundle.py, docs/architecture.md "Live chat");
`NoChat` bundles nothing, for a hub made without it. The call is bounded in time by the caller
(a slow chat store never holds a clip back); see docs/architecture.md, "Live".
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol


class ChatSource(Protocol):
    """Chat to bundle into a clip document."""

    async def bundle(self, video_id: uuid.UUID, index: int) -> list[dict[str, Any]]:
        """JSON-ready chat items for clip `index`'s document, as known now (the document is
        written once, right after this returns). Each item should name the clip and the
        offset in it where its sender saw the picture, so players show it at that moment."""
        ...


class NoChat:
    """No chat yet: every document's `chat` array is empty."""

    async def bundle(self, video_id: uuid.UUID, index: int) -> list[dict[str, Any]]:  # noqa: ARG002 - the port's shape
        return []
