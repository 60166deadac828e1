"""The chat store in Redis (scaled mode: any API process may hold a stream's sockets).

Keys, under `{prefix}:chat:{video}:`: `log` (list of message JSON, newest last, trimmed to
KEEP_MESSAGES), `gone` (list of deleted ids), `mod` (hash user → end of timeout, or "ban"),
`flood:{user}` (list of admitted times); all expire. Events go out on the pub/sub channel
`{prefix}:chat:{video}`, published in the same transaction as the write they announce.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from clipcast.adapters.chat.base import (
    KEEP_MESSAGES,
    KEEP_SECONDS,
    MODERATION_SECONDS,
    ChatMessage,
    ChatStoreUnavailable,
    EventType,
    message_event,
)
from clipcast.live.chat_rules import Restriction

# The flood rule of chat_rules.flood_wait, atomic in Redis: the admitted times in the window,
# a refusal with the wait when `limit` are there, else this time admitted. Strings out: Redis
# turns a Lua number into an integer.
ADMIT_SCRIPT = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local recent = {}
for _, t in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local v = tonumber(t)
  if v > now - window and v <= now then table.insert(recent, v) end
end
table.sort(recent)
if #recent >= limit then
  return string.format('%.17g', recent[#recent - limit + 1] + window - now)
end
table.insert(recent, now)
redis.call('DEL', KEYS[1])
for _, v in ipairs(recent) do redis.call('RPUSH', KEYS[1], string.format('%.17g', v)) end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return '0'
"""
BAN = "ban"
SUBSCRIBE_WAIT_TRIES = 10

P = ParamSpec("P")
R = TypeVar("R")


def _unavailable(
    call: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Redis not answering is the port's ChatStoreUnavailable (callers know no Redis)."""

    @functools.wraps(call)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await call(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise ChatStoreUnavailable(str(exc)) from exc

    return guarded


class RedisChatStore:
    def __init__(self, url: str, *, prefix: str = "clipcast") -> None:
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._p = f"{prefix}:chat:"
        self._admit = self._redis.register_script(ADMIT_SCRIPT)

    def _k(self, video_id: uuid.UUID, *parts: str) -> str:
        return ":".join([f"{self._p}{video_id}", *parts])

    def _channel(self, video_id: uuid.UUID) -> str:
        return f"{self._p}{video_id}"

    @_unavailable
    async def append(self, video_id: uuid.UUID, message: ChatMessage) -> None:
        log = self._k(video_id, "log")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(log, json.dumps(dataclasses.asdict(message)))
            pipe.ltrim(log, -KEEP_MESSAGES, -1)
            pipe.expire(log, KEEP_SECONDS)
            pipe.publish(self._channel(video_id), json.dumps(message_event(message)))
            await pipe.execute()

    @_unavailable
    async def recent(self, video_id: uuid.UUID, limit: int) -> list[ChatMessage]:
        if limit <= 0:
            return []
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(self._k(video_id, "log"), 0, -1)
            pipe.lrange(self._k(video_id, "gone"), 0, -1)
            rows, gone = await pipe.execute()
        removed = set(gone)
        kept = [ChatMessage(**json.loads(row)) for row in rows]
        return [m for m in kept if m.id not in removed][-limit:]

    @_unavailable
    async def remove(self, video_id: uuid.UUID, message_id: str) -> None:
        gone = self._k(video_id, "gone")
        event = {"type": EventType.DELETED, "id": message_id}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrem(gone, 0, message_id)
            pipe.rpush(gone, message_id)
            pipe.ltrim(gone, -KEEP_MESSAGES, -1)
            pipe.expire(gone, KEEP_SECONDS)
            pipe.publish(self._channel(video_id), json.dumps(event))
            await pipe.execute()

    @_unavailable
    async def removed(self, video_id: uuid.UUID) -> list[str]:
        ids = await self._redis.lrange(self._k(video_id, "gone"), 0, -1)
        return [str(i) for i in ids]

    @_unavailable
    async def admit(
        self, video_id: uuid.UUID, user_id: str, now: float, limit: int, window: float
    ) -> float:
        key = self._k(video_id, "flood", user_id)
        wait = await self._admit(keys=[key], args=[repr(now), limit, repr(window)])
        return float(wait)

    @_unavailable
    async def restrict(
        self, video_id: uuid.UUID, user_id: str, restriction: Restriction | None
    ) -> None:
        mod = self._k(video_id, "mod")
        async with self._redis.pipeline(transaction=True) as pipe:
            if restriction is None:
                pipe.hdel(mod, user_id)
                event: dict[str, Any] = {"type": EventType.LIFTED, "user_id": user_id}
            else:
                until = restriction.until
                pipe.hset(mod, user_id, BAN if until is None else repr(until))
                event = {"type": EventType.RESTRICTED, "user_id": user_id, "until": until}
            pipe.expire(mod, MODERATION_SECONDS)
            pipe.publish(self._channel(video_id), json.dumps(event))
            await pipe.execute()

    @_unavailable
    async def restriction(self, video_id: uuid.UUID, user_id: str) -> Restriction | None:
        value = await self._redis.hget(self._k(video_id, "mod"), user_id)
        if value is None:
            return None
        return Restriction(None if value == BAN else float(value))

    @_unavailable
    async def announce(self, video_id: uuid.UUID, event: dict[str, Any]) -> None:
        await self._redis.publish(self._channel(video_id), json.dumps(event))

    @contextlib.asynccontextmanager
    async def listen(self, video_id: uuid.UUID) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self._redis.pubsub()
        try:
            try:
                await pubsub.subscribe(self._channel(video_id))
                await _confirmed(pubsub)
            except (RedisError, OSError) as exc:
                raise ChatStoreUnavailable(str(exc)) from exc
            yield _events(pubsub)
        finally:
            with contextlib.suppress(RedisError, OSError):  # the connection may be what failed
                await pubsub.unsubscribe()
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


async def _confirmed(pubsub: PubSub) -> None:
    """Wait for Redis to confirm the subscription: from then on nothing published is missed
    (SUBSCRIBE returns as soon as it is sent)."""
    for _ in range(SUBSCRIBE_WAIT_TRIES):
        reply = await pubsub.get_message(timeout=1.0)
        if reply is not None and reply.get("type") == "subscribe":
            return
    raise ConnectionError("Redis did not confirm the chat subscription")


async def _events(pubsub: PubSub) -> AsyncIterator[dict[str, Any]]:
    try:
        async for message in pubsub.listen():
            if message.get("type") == "message":
                event: dict[str, Any] = json.loads(message["data"])
                yield event
    except (RedisError, OSError) as exc:
        raise ChatStoreUnavailable(str(exc)) from exc
