"""The chat store port's contract, run against memory and a real Redis (two clients on one
Redis stand for two API processes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from clipcast.adapters.chat.base import KEEP_MESSAGES, ChatMessage, ChatStore
from clipcast.adapters.chat.memory import MemoryChatStore
from clipcast.adapters.chat.redis import RedisChatStore
from clipcast.live.chat_rules import Restriction
from tests.services import reachable, require

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
T0 = 1_764_590_000.0  # seconds since the epoch: a time in the range the service passes


class Stores:
    """Stores on one backing: each call is another process's client (memory: the same one)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.prefix = f"test-{uuid.uuid4().hex[:12]}"
        self.made: list[ChatStore] = []
        self._memory = MemoryChatStore()

    def __call__(self) -> ChatStore:
        if self.kind == "memory":
            return self._memory
        store = RedisChatStore(f"redis://{REDIS_HOST}:{REDIS_PORT}/0", prefix=self.prefix)
        self.made.append(store)
        return store

    async def close(self) -> None:
        for store in self.made:
            await store.close()


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], ChatStore]]:
    if request.param == "redis":
        require(reachable(REDIS_HOST, REDIS_PORT), f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    made = Stores(request.param)
    yield made
    await made.close()


@pytest.fixture
def store(stores: Callable[[], ChatStore]) -> ChatStore:
    return stores()


def message(n: int, *, user: str = "u1", index: int = 3, offset: float = 0.5) -> ChatMessage:
    return ChatMessage(
        id=f"m{n}",
        user_id=user,
        name=f"name-{user}",
        text=f"<b>hello</b> {n}",
        index=index,
        offset=offset,
        sent_at=T0 + n,
        by_owner=n == 0,
    )


async def next_events(events: AsyncIterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    return [await asyncio.wait_for(anext(events), 5) for _ in range(count)]


async def test_messages_come_back_in_order_and_whole(store: ChatStore) -> None:
    video = uuid.uuid4()
    for n in range(5):
        await store.append(video, message(n))
    assert await store.recent(video, 3) == [message(2), message(3), message(4)]
    assert await store.recent(video, 100) == [message(n) for n in range(5)]
    assert await store.recent(uuid.uuid4(), 10) == []  # another stream's chat is its own


async def test_only_the_newest_messages_are_kept(store: ChatStore) -> None:
    video = uuid.uuid4()
    for n in range(KEEP_MESSAGES + 20):
        await store.append(video, message(n))
    kept = await store.recent(video, KEEP_MESSAGES * 2)
    assert [m.id for m in kept] == [f"m{n}" for n in range(20, KEEP_MESSAGES + 20)]


async def test_a_removed_message_is_left_out_and_listed(store: ChatStore) -> None:
    video = uuid.uuid4()
    for n in range(4):
        await store.append(video, message(n))
    await store.remove(video, "m1")
    await store.remove(video, "m1")  # twice is once
    assert [m.id for m in await store.recent(video, 10)] == ["m0", "m2", "m3"]
    assert await store.removed(video) == ["m1"]
    assert await store.removed(uuid.uuid4()) == []


async def test_the_flood_gate_admits_three_in_two_seconds(store: ChatStore) -> None:
    video = uuid.uuid4()
    assert [await store.admit(video, "u1", T0 + t, 3, 2.0) for t in (0.0, 0.5, 1.0)] == [0, 0, 0]
    assert await store.admit(video, "u1", T0 + 1.5, 3, 2.0) == pytest.approx(0.5)
    assert await store.admit(video, "u1", T0 + 1.9, 3, 2.0) == pytest.approx(0.1)
    # Refusals are not counted: at 2.0 the first message left the window.
    assert await store.admit(video, "u1", T0 + 2.0, 3, 2.0) == 0
    assert await store.admit(video, "u1", T0 + 2.1, 3, 2.0) == pytest.approx(0.4)
    # Another sender, or the same sender in another stream, has a gate of its own.
    assert await store.admit(video, "u2", T0 + 2.1, 3, 2.0) == 0
    assert await store.admit(uuid.uuid4(), "u1", T0 + 2.1, 3, 2.0) == 0


async def test_the_flood_gate_holds_for_concurrent_posts_from_two_processes(
    stores: Callable[[], ChatStore],
) -> None:
    video, first, second = uuid.uuid4(), stores(), stores()
    waits = await asyncio.gather(*(s.admit(video, "u1", T0, 3, 2.0) for s in [first, second] * 5))
    assert sorted(waits) == [0, 0, 0] + [pytest.approx(2.0)] * 7


async def test_timeouts_and_bans_are_kept_and_lifted(store: ChatStore) -> None:
    video = uuid.uuid4()
    assert await store.restriction(video, "u1") is None
    await store.restrict(video, "u1", Restriction(T0 + 300))
    await store.restrict(video, "u2", Restriction(None))
    assert await store.restriction(video, "u1") == Restriction(T0 + 300)
    assert await store.restriction(video, "u2") == Restriction(None)
    assert await store.restriction(uuid.uuid4(), "u2") is None
    await store.restrict(video, "u2", None)
    assert await store.restriction(video, "u2") is None


async def test_every_event_after_listening_reaches_every_listener_in_order(
    stores: Callable[[], ChatStore],
) -> None:
    video, writer, reader = uuid.uuid4(), stores(), stores()
    async with reader.listen(video) as events, writer.listen(video) as also:
        await writer.append(video, message(1))
        await writer.remove(video, "m1")
        await writer.restrict(video, "u1", Restriction(T0 + 60))
        await writer.restrict(video, "u1", None)
        await writer.announce(video, {"type": "ended"})
        expected = [
            {"type": "message", "message": message(1).to_json()},
            {"type": "deleted", "id": "m1"},
            {"type": "restricted", "user_id": "u1", "until": T0 + 60},
            {"type": "lifted", "user_id": "u1"},
            {"type": "ended"},
        ]
        assert await next_events(events, 5) == expected
        assert await next_events(also, 5) == expected


async def test_a_listener_hears_only_its_own_stream(stores: Callable[[], ChatStore]) -> None:
    video, other, writer, reader = uuid.uuid4(), uuid.uuid4(), stores(), stores()
    async with reader.listen(video) as events:
        await writer.append(other, message(1))
        await writer.append(video, message(2))
        expected = {"type": "message", "message": message(2).to_json()}
        assert await next_events(events, 1) == [expected]


async def test_what_one_process_appends_another_reads(stores: Callable[[], ChatStore]) -> None:
    video, first, second = uuid.uuid4(), stores(), stores()
    await first.append(video, message(1))
    await second.append(video, message(2))
    await second.remove(video, "m1")
    assert await first.recent(video, 10) == [message(2)]
    assert await first.removed(video) == ["m1"]


async def test_a_message_survives_its_json_whole(store: ChatStore) -> None:
    video = uuid.uuid4()
    odd = ChatMessage("m9", "u9", "Zoë", 'say "<script>"\u2028 ✓', 12, 1.999, T0 + 0.123, True)
    await store.append(video, odd)
    assert await store.recent(video, 1) == [odd]
