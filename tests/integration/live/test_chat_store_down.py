"""A chat store that does not answer (Redis down) costs live chat, never the live video: clips
and their documents still go out, with no chat in them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from clipcast.adapters.chat.base import ChatMessage, ChatStoreUnavailable
from clipcast.adapters.chat.redis import RedisChatStore
from clipcast.bootstrap import Adapters
from clipcast.devserver import free_port
from clipcast.live.chat_rules import Restriction
from clipcast.live.chat_wiring import chat_source
from clipcast.live.hub import LiveHub
from clipcast.live.ingest import run_feed
from clipcast.live.keys import document_key
from clipcast.live.wiring import ingest_config, publish_deps
from tests.integration.live.conftest import chunks

pytestmark = pytest.mark.slow


def dead_redis() -> RedisChatStore:
    return RedisChatStore(f"redis://127.0.0.1:{free_port()}/0", prefix="nobody-listens")


async def test_every_call_on_a_store_that_does_not_answer_says_so() -> None:
    store, video = dead_redis(), uuid.uuid4()
    message = ChatMessage("m1", "u1", "bob", "hi", 0, 0.0, 1_764_590_000.0)
    calls = [
        store.append(video, message),
        store.recent(video, 10),
        store.remove(video, "m1"),
        store.removed(video),
        store.admit(video, "u1", 1_764_590_000.0, 3, 2.0),
        store.restrict(video, "u1", Restriction(None)),
        store.restriction(video, "u1"),
        store.announce(video, {"type": "ended"}),
    ]
    for call in calls:
        with pytest.raises(ChatStoreUnavailable):
            await call
    with pytest.raises(ChatStoreUnavailable):
        async with store.listen(video):
            pass
    await store.close()


async def test_clips_go_out_without_chat_while_the_chat_store_is_down(
    adapters: Adapters, stream: dict[str, Any], h264_feed: Path
) -> None:
    store = dead_redis()
    hub = LiveHub(chat=chat_source(store))

    async def notify(message: dict[str, Any]) -> None:
        pass

    count = await run_feed(
        deps=publish_deps(
            sessions=adapters.sessions, storage=adapters.storage, hub=hub, clip_seconds=2
        ),
        config=ingest_config(adapters.settings),
        video_id=uuid.UUID(stream["id"]),
        source=chunks(h264_feed),
        notify=notify,
    )
    await store.close()
    assert count == 4
    for index in range(count):
        key = document_key(uuid.UUID(stream["id"]), index)
        document = json.loads(await adapters.storage.get_bytes(key))
        assert (document["index"], document["chat"]) == (index, [])
