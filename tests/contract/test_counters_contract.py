"""The counters port's contract, run against SQL (SQLite, PostgreSQL) and a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from clipcast.adapters.counters.base import (
    CommentCounts,
    CounterDeltas,
    Counters,
    CounterTotals,
    VideoCounts,
)
from clipcast.adapters.counters.redis import RedisCounters
from clipcast.adapters.counters.sql import SqlCounters
from clipcast.core.clock import utcnow
from clipcast.db.migrate import upgrade
from clipcast.db.session import make_engine, make_sessionmaker
from tests.services import reachable, require

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@pytest.fixture(
    params=["sql-sqlite", pytest.param("sql-postgres", marks=pytest.mark.postgres), "redis"]
)
def counters_target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(kind, where): a migrated database of this test's own, or a Redis URL."""
    if request.param == "sql-sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'counters.db'}"
        upgrade(url)  # sync fixture: migrations run their own event loop
        return "sql", url
    if request.param == "sql-postgres":
        return "sql", str(request.getfixturevalue("database_url_postgres"))
    require(reachable(REDIS_HOST, REDIS_PORT), f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    return "redis", f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture
async def counters(counters_target: tuple[str, str]) -> AsyncIterator[Counters]:
    """A store of this test's own: a fresh database, or a key prefix nobody else uses."""
    kind, where = counters_target
    if kind == "redis":
        store = RedisCounters(where, prefix=f"test-{uuid.uuid4().hex[:12]}")
        yield store
        await store.replace_all(CounterTotals(), set())  # wipes every key of the prefix
        await store.close()
        return
    engine: AsyncEngine = make_engine(where)
    yield SqlCounters(make_sessionmaker(engine))
    await engine.dispose()


def _views(video: uuid.UUID, views: int = 1, watch_ms: int = 2000) -> CounterDeltas:
    deltas = CounterDeltas()
    deltas.videos[(video, "views")] += views
    deltas.videos[(video, "watch_ms")] += watch_ms
    return deltas


async def _counts(counters: Counters, video: uuid.UUID) -> VideoCounts:
    return (await counters.snapshot([video], [])).videos.get(video, VideoCounts())


async def test_a_batch_applies_once_however_often_it_is_sent(counters: Counters) -> None:
    video, batch = uuid.uuid4(), uuid.uuid4()
    assert await counters.apply(batch, _views(video, 3, 6000)) is True
    assert await counters.apply(batch, _views(video, 3, 6000)) is False
    assert await _counts(counters, video) == VideoCounts(views=3, watch_ms=6000)


async def test_concurrent_twins_of_a_batch_apply_once(counters: Counters) -> None:
    video, batch = uuid.uuid4(), uuid.uuid4()
    results = await asyncio.gather(*(counters.apply(batch, _views(video)) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert (await _counts(counters, video)).views == 1


async def test_many_batches_apply_together_each_once(counters: Counters) -> None:
    video, seen, fresh, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert await counters.apply(seen, _views(video, 1, 1000)) is True
    batches = {seen: _views(video, 1, 1000), fresh: _views(video, 2, 4000)}
    batches[other] = CounterDeltas()
    batches[other].clips[(video, 3)] += 1
    assert await counters.apply_many(batches) == {fresh, other}
    assert await counters.apply_many(batches) == set()
    assert await counters.apply_many({}) == set()
    assert await _counts(counters, video) == VideoCounts(views=3, watch_ms=5000)
    assert await counters.clip_views(video) == {3: 1}


async def test_different_batches_add_up_and_negative_moves_subtract(counters: Counters) -> None:
    video = uuid.uuid4()
    like, unlike = CounterDeltas(), CounterDeltas()
    like.videos[(video, "likes")] += 1
    unlike.videos[(video, "likes")] -= 1
    unlike.videos[(video, "dislikes")] += 1
    for deltas in (like, like, unlike):
        await counters.apply(uuid.uuid4(), deltas)
    assert await _counts(counters, video) == VideoCounts(likes=1, dislikes=1)


async def test_snapshot_says_which_batches_are_applied(counters: Counters) -> None:
    video, done, waiting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await counters.apply(done, _views(video))
    comment = uuid.uuid4()
    votes = CounterDeltas()
    votes.comments[(video, comment, "likes")] += 2
    await counters.apply(uuid.uuid4(), votes)
    snap = await counters.snapshot([video, uuid.uuid4()], [done, waiting], [comment])
    assert snap.applied == {done}
    assert snap.videos[video].views == 1
    assert snap.comments == {comment: CommentCounts(2, 0)}
    # An empty batch is still remembered: a redelivery of it is a no-op like any other.
    empty = uuid.uuid4()
    assert await counters.apply(empty, CounterDeltas()) is True
    assert (await counters.snapshot([], [empty])).applied == {empty}


async def test_clip_reaches_and_hourly_views(counters: Counters) -> None:
    video = uuid.uuid4()
    deltas = CounterDeltas()
    for clip, viewers in ((0, 5), (1, 4), (7, 1)):
        deltas.clips[(video, clip)] += viewers
    deltas.hours[(video, 100)] += 2
    deltas.hours[(video, 103)] += 1
    await counters.apply(uuid.uuid4(), deltas)
    assert await counters.clip_views(video) == {0: 5, 1: 4, 7: 1}
    assert await counters.views_by_hour(video, 100, 102) == {100: 2}
    assert await counters.views_by_hour(video, 0, 10**6) == {100: 2, 103: 1}


async def test_a_batch_of_many_clips_applies_whole(counters: Counters) -> None:
    video, other = uuid.uuid4(), uuid.uuid4()
    deltas = CounterDeltas()
    for clip in range(600):  # a long batch of clip views touches hundreds of clips
        deltas.clips[(video, clip)] += 1
    deltas.clips[(other, 0)] += 2
    deltas.clips[(other, 1)] -= 0  # zero moves are skipped
    deltas.videos[(video, "watch_ms")] += 1_200_000
    await counters.apply(uuid.uuid4(), deltas)
    reached = await counters.clip_views(video)
    assert len(reached) == 600
    assert set(reached.values()) == {1}
    assert await counters.clip_views(other) == {0: 2}
    assert (await _counts(counters, video)).watch_ms == 1_200_000


async def test_hot_sums_buckets_with_their_weights(counters: Counters) -> None:
    old_star, fresh, other_scope = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = int(utcnow().timestamp()) // 3600  # buckets far in the past expire (Redis)
    deltas = CounterDeltas()
    deltas.hot[("all", now - 2, old_star)] += 10.0
    deltas.hot[("all", now, fresh)] += 4.0
    deltas.hot[("tag:cats", now, other_scope)] += 50.0
    await counters.apply(uuid.uuid4(), deltas)
    recent_first = {now: 1.0, now - 1: 0.5, now - 2: 0.25}
    assert await counters.hot("all", recent_first, 10) == [(fresh, 4.0), (old_star, 2.5)]
    assert await counters.hot("all", {now - 2: 1.0, now: 0.1}, 1) == [(old_star, 10.0)]
    assert await counters.hot("tag:cats", recent_first, 10) == [(other_scope, 50.0)]
    assert await counters.hot("all", {now - 5: 1.0}, 10) == []


async def test_comment_counts_and_popular_order(counters: Counters) -> None:
    video, a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    deltas = CounterDeltas()
    for comment, likes, dislikes in ((a, 3, 0), (b, 5, 1), (c, 1, 4)):
        deltas.comments[(video, comment, "likes")] += likes
        deltas.comments[(video, comment, "dislikes")] += dislikes
    await counters.apply(uuid.uuid4(), deltas)
    counts = await counters.comment_counts([a, b, c, uuid.uuid4()])
    assert counts == {a: CommentCounts(3, 0), b: CommentCounts(5, 1), c: CommentCounts(1, 4)}
    assert [cid for cid, _ in await counters.popular_comments(video, 0, 10)] == [b, a, c]
    assert await counters.popular_comments(video, 1, 1) == [(a, 3.0)]


async def test_forgetting_a_video_and_a_comment(counters: Counters) -> None:
    video, kept, comment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    deltas = _views(video)
    deltas.add(_views(kept))
    deltas.clips[(video, 0)] += 1
    deltas.comments[(video, comment, "likes")] += 2
    await counters.apply(uuid.uuid4(), deltas)
    await counters.forget_comment(video, comment)
    assert await counters.comment_counts([comment]) == {}
    assert await counters.popular_comments(video, 0, 10) == []
    await counters.forget_video(video)
    assert await _counts(counters, video) == VideoCounts()
    assert await counters.clip_views(video) == {}
    assert (await _counts(counters, kept)).views == 1


async def test_replace_all_wipes_then_writes_totals(counters: Counters) -> None:
    stale, video, comment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = int(utcnow().timestamp()) // 3600
    await counters.apply(uuid.uuid4(), _views(stale, 9))
    marked = uuid.uuid4()
    totals = CounterTotals(
        videos={video: VideoCounts(views=4, likes=2, dislikes=1, watch_ms=8000)},
        clips={(video, 0): 4, (video, 1): 3},
        hours={(video, 200): 4},
        hot={("all", now, video): 4.0},
        comments={comment: (video, CommentCounts(2, 0))},
    )
    await counters.replace_all(totals, {marked})
    snap = await counters.snapshot([stale, video], [marked])
    assert snap.videos.get(stale, VideoCounts()) == VideoCounts()
    assert snap.videos[video] == VideoCounts(views=4, likes=2, dislikes=1, watch_ms=8000)
    assert snap.applied == {marked}
    assert await counters.apply(marked, _views(video)) is False  # already counted in totals
    assert await counters.clip_views(video) == {0: 4, 1: 3}
    assert await counters.views_by_hour(video, 200, 200) == {200: 4}
    assert await counters.hot("all", {now: 1.0}, 5) == [(video, 4.0)]
    assert await counters.popular_comments(video, 0, 5) == [(comment, 2.0)]


async def test_prune_keeps_recent_hot_buckets(counters: Counters) -> None:
    video = uuid.uuid4()
    now_hour = int(utcnow().timestamp()) // 3600
    deltas = CounterDeltas()
    deltas.hot[("all", now_hour, video)] += 1.0
    await counters.apply(uuid.uuid4(), deltas)
    await counters.prune(now=utcnow(), hot_hours=48)
    assert await counters.hot("all", {now_hour: 1.0}, 5) == [(video, 1.0)]
    await counters.check()
