"""Counters in Redis (scaled mode): hashes and sorted sets, each batch applied by one script.

Keys, under `{prefix}:`: `v:{video}` (hash views/likes/dislikes/watch_ms), `vc:{video}` (clip →
viewers reaching it), `vh:{video}` (hour → views), `c:{comment}` (likes/dislikes),
`pc:{video}` (sorted set: comment → likes − dislikes), `hot:{scope}:{hour}` (sorted set,
expiring), `ap:{batch}` (applied marker, expiring). One Redis (not a cluster): a batch's script
touches keys of several videos.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from clipcast.adapters.counters.base import (
    APPLIED_TTL_SECONDS,
    COMMENT_FIELDS,
    HOT_KEEP_HOURS,
    VIDEO_FIELDS,
    CommentCounts,
    CounterDeltas,
    CounterTotals,
    Snapshot,
    VideoCounts,
)

# KEYS[1] is the batch's marker, the other KEYS the keys it touches. ARGV[1] is the marker's
# TTL, ARGV[2] the increments as lines of tab-separated fields: "h <key#> <field> <n> …" adds
# to hash fields, "z <key#> <expire-at or -> <member> <n> …" to sorted-set members. One text
# argument rather than thousands: redis-py encodes each argument in Python, and a batch of
# clip views touches hundreds of clips. SET NX and the increments run as one script, which
# Redis executes atomically: the batch is applied whole and remembered, or not at all.
APPLY_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for line in string.gmatch(ARGV[2], '[^\\n]+') do
  local f = {}
  for part in string.gmatch(line, '[^\\t]+') do f[#f + 1] = part end
  local key = KEYS[tonumber(f[2])]
  if f[1] == 'h' then
    for i = 3, #f, 2 do redis.call('HINCRBY', key, f[i], f[i + 1]) end
  else
    for i = 4, #f, 2 do redis.call('ZINCRBY', key, f[i + 1], f[i]) end
    if f[3] ~= '-' then redis.call('EXPIREAT', key, f[3]) end
  end
end
return 1
"""
Line = tuple[str, str, int, list[tuple[str, int | float]]]  # key, kind, expire-at, pairs
WRITE_CHUNK = 1000


class RedisCounters:
    """The counters port on one Redis server, every key under `{prefix}:`."""

    def __init__(self, url: str, *, prefix: str = "clipcast") -> None:
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._p = f"{prefix}:"
        self._apply = self._redis.register_script(APPLY_SCRIPT)

    def _k(self, *parts: object) -> str:
        return self._p + ":".join(str(part) for part in parts)

    async def apply(self, batch_id: uuid.UUID, deltas: CounterDeltas) -> bool:
        return bool(await self.apply_many({batch_id: deltas}))

    async def apply_many(self, batches: Mapping[uuid.UUID, CounterDeltas]) -> set[uuid.UUID]:
        """One round trip: each batch's script in a pipeline (each script atomic on its own)."""
        if not batches:
            return set()
        ids = list(batches)
        async with self._redis.pipeline(transaction=False) as pipe:
            for batch_id in ids:
                keys, args = self._script_args(batch_id, batches[batch_id])
                await self._apply(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
        return {batch_id for batch_id, done in zip(ids, results, strict=True) if done}

    def _script_args(
        self, batch_id: uuid.UUID, deltas: CounterDeltas
    ) -> tuple[list[str], list[str | int]]:
        keys = [self._k("ap", batch_id)]
        numbers: dict[str, int] = {}
        lines = []
        for key, kind, expire, pairs in self._lines(deltas):
            number = numbers.get(key)
            if number is None:
                keys.append(key)
                number = numbers[key] = len(keys)
            fields = "\t".join(f"{member}\t{amount}" for member, amount in pairs)
            head = f"h\t{number}" if kind == "h" else f"z\t{number}\t{expire or '-'}"
            lines.append(f"{head}\t{fields}")
        return keys, [APPLIED_TTL_SECONDS, "\n".join(lines)]

    def _lines(self, d: CounterDeltas) -> Iterable[Line]:
        """Increments grouped by key: (key, kind, expire-at, [(member, amount), …])."""
        hashes: dict[str, list[tuple[str, int | float]]] = {}
        for (video, name), n in d.videos.items():
            hashes.setdefault(self._k("v", video), []).append((name, int(n)))
        for (video, clip), n in d.clips.items():
            hashes.setdefault(self._k("vc", video), []).append((str(clip), int(n)))
        for (video, hour), n in d.hours.items():
            hashes.setdefault(self._k("vh", video), []).append((str(hour), int(n)))
        for (_video, comment, name), n in d.comments.items():
            hashes.setdefault(self._k("c", comment), []).append((name, int(n)))
        for key, pairs in hashes.items():
            kept = [(member, n) for member, n in pairs if n]
            if kept:
                yield key, "h", 0, kept
        yield from self._sorted_lines(d)

    def _sorted_lines(self, d: CounterDeltas) -> Iterable[Line]:
        sets: dict[tuple[str, int], list[tuple[str, int | float]]] = {}
        for (scope, hour, video), score in d.hot.items():
            if score:
                key = self._k("hot", scope, hour)
                sets.setdefault((key, (hour + HOT_KEEP_HOURS) * 3600), []).append(
                    (str(video), score)
                )
        for (video, comment, name), n in d.comments.items():
            if n:
                score = int(n) if name == COMMENT_FIELDS[0] else -int(n)
                sets.setdefault((self._k("pc", video), 0), []).append((str(comment), score))
        for (key, expire), pairs in sets.items():
            yield key, "z", expire, pairs

    async def snapshot(
        self,
        video_ids: list[uuid.UUID],
        batch_ids: list[uuid.UUID],
        comment_ids: list[uuid.UUID] | None = None,
    ) -> Snapshot:
        comment_ids = comment_ids or []
        async with self._redis.pipeline(transaction=True) as pipe:  # MULTI: one instant
            for video in video_ids:
                pipe.hmget(self._k("v", video), list(VIDEO_FIELDS))
            for batch in batch_ids:
                pipe.exists(self._k("ap", batch))
            for comment in comment_ids:
                pipe.hmget(self._k("c", comment), list(COMMENT_FIELDS))
            results: list[Any] = await pipe.execute()
        videos = {
            video: VideoCounts(*(int(x or 0) for x in values))
            for video, values in zip(video_ids, results, strict=False)
        }
        flags = results[len(video_ids) : len(video_ids) + len(batch_ids)]
        applied = frozenset(b for b, flag in zip(batch_ids, flags, strict=True) if flag)
        votes = results[len(video_ids) + len(batch_ids) :]
        comments = {
            comment: CommentCounts(int(likes or 0), int(dislikes or 0))
            for comment, (likes, dislikes) in zip(comment_ids, votes, strict=True)
            if likes is not None or dislikes is not None
        }
        return Snapshot(videos=videos, applied=applied, comments=comments)

    async def clip_views(self, video_id: uuid.UUID) -> dict[int, int]:
        raw: dict[Any, Any] = await self._redis.hgetall(self._k("vc", video_id))
        return {int(clip): int(n) for clip, n in raw.items() if int(n)}

    async def views_by_hour(
        self, video_id: uuid.UUID, first_hour: int, last_hour: int
    ) -> dict[int, int]:
        raw: dict[Any, Any] = await self._redis.hgetall(self._k("vh", video_id))
        hours = {int(hour): int(n) for hour, n in raw.items()}
        return {h: n for h, n in hours.items() if first_hour <= h <= last_hour and n}

    async def hot(
        self, scope: str, weights: dict[int, float], limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        if not weights:
            return []
        scratch = self._k("tmp", uuid.uuid4())
        buckets = {self._k("hot", scope, hour): w for hour, w in weights.items()}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zunionstore(scratch, buckets)
            pipe.zrevrangebyscore(scratch, "+inf", "(0", start=0, num=limit, withscores=True)
            pipe.unlink(scratch)
            _, top, _ = await pipe.execute()
        return [(uuid.UUID(member), float(score)) for member, score in top]

    async def comment_counts(self, comment_ids: list[uuid.UUID]) -> dict[uuid.UUID, CommentCounts]:
        if not comment_ids:
            return {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for comment in comment_ids:
                pipe.hmget(self._k("c", comment), list(COMMENT_FIELDS))
            results: list[list[str | None]] = await pipe.execute()
        return {
            comment: CommentCounts(int(likes or 0), int(dislikes or 0))
            for comment, (likes, dislikes) in zip(comment_ids, results, strict=True)
            if likes is not None or dislikes is not None
        }

    async def popular_comments(
        self, video_id: uuid.UUID, offset: int, limit: int
    ) -> list[tuple[uuid.UUID, float]]:
        top: list[Any] = await self._redis.zrevrange(
            self._k("pc", video_id), offset, offset + limit - 1, withscores=True
        )
        return [(uuid.UUID(member), float(score)) for member, score in top]

    async def forget_video(self, video_id: uuid.UUID) -> None:
        comments = await self._redis.zrange(self._k("pc", video_id), 0, -1)
        keys = [self._k(kind, video_id) for kind in ("v", "vc", "vh", "pc")]
        keys += [self._k("c", comment) for comment in comments]
        await self._redis.unlink(*keys)

    async def forget_comment(self, video_id: uuid.UUID, comment_id: uuid.UUID) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.unlink(self._k("c", comment_id))
            pipe.zrem(self._k("pc", video_id), str(comment_id))
            await pipe.execute()

    async def replace_all(self, totals: CounterTotals, applied: set[uuid.UUID]) -> None:
        await self._wipe()
        ops = list(_total_ops(self, totals))
        ops += [("set", self._k("ap", b), "", "1", APPLIED_TTL_SECONDS) for b in applied]
        for start in range(0, len(ops), WRITE_CHUNK):
            async with self._redis.pipeline(transaction=False) as pipe:
                for kind, key, member, value, at in ops[start : start + WRITE_CHUNK]:
                    _queue(pipe, kind, key, member, value, at)
                await pipe.execute()

    async def _wipe(self) -> None:
        batch: list[str] = []
        async for key in self._redis.scan_iter(match=f"{self._p}*", count=1000):
            batch.append(key)
            if len(batch) >= WRITE_CHUNK:
                await self._redis.unlink(*batch)
                batch = []
        if batch:
            await self._redis.unlink(*batch)

    async def prune(self, *, now: datetime, hot_hours: int) -> None:
        """Hot buckets and markers expire on their own here."""

    async def check(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


TotalOp = tuple[str, str, str, str | int | float, int]  # kind, key, member, value, expire-at


def _total_ops(store: RedisCounters, t: CounterTotals) -> Iterable[TotalOp]:
    k = store._k
    for video, totals in t.videos.items():
        for name in VIDEO_FIELDS:
            yield "hset", k("v", video), name, getattr(totals, name), 0
    for (video, clip), n in t.clips.items():
        yield "hset", k("vc", video), str(clip), n, 0
    for (video, hour), n in t.hours.items():
        yield "hset", k("vh", video), str(hour), n, 0
    for (scope, hour, video), score in t.hot.items():
        yield "zadd", k("hot", scope, hour), str(video), score, (hour + HOT_KEEP_HOURS) * 3600
    for comment, (video, counts) in t.comments.items():
        yield "hset", k("c", comment), "likes", counts.likes, 0
        yield "hset", k("c", comment), "dislikes", counts.dislikes, 0
        yield "zadd", k("pc", video), str(comment), counts.likes - counts.dislikes, 0


def _queue(pipe: Any, kind: str, key: str, member: str, value: Any, at: int) -> None:
    if kind == "hset":
        pipe.hset(key, member, value)
    elif kind == "zadd":
        pipe.zadd(key, {member: value})
        if at:
            pipe.expireat(key, at)
    else:
        pipe.set(key, value, ex=at)
