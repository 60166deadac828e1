"""Faults: batches redelivered, reordered, or cut off between SQL and the counters still give
exact counts; a wiped counters store is rebuilt to the same numbers. With the counters in SQL
and in a real Redis, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast.activity import rules, service
from clipcast.activity.rebuild import rebuild_counters
from clipcast.adapters.bus.base import Event
from clipcast.adapters.counters.base import CounterDeltas, Counters, CounterTotals
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.settings import Settings
from tests.integration.activity.conftest import HandBus, Person, make_video, now_ms, post, sign_up
from tests.services import reachable, require

REDIS_URL = "redis://127.0.0.1:6379/0"
HOUR = 3_600_000


@pytest.fixture(params=["sql-counters", "redis-counters"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """This module's stack: counters in SQL tables, or in Redis under a prefix of its own."""
    redis = request.param == "redis-counters"
    if redis:
        require(reachable("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret",
        redis_url=REDIS_URL if redis else "",
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture(autouse=True)
async def _wipe_counters(adapters: Adapters) -> AsyncIterator[None]:
    yield
    if adapters.settings.redis_url:
        await adapters.counters.replace_all(CounterTotals(), set())


@dataclass(frozen=True)
class Scene:
    long: uuid.UUID  # 9 s: 5 clips, a view takes 2
    short: uuid.UUID  # 3 s: 2 clips, a view takes 1
    comment: uuid.UUID


def _clip(video: uuid.UUID, clip: int, ts: int, n: str) -> dict[str, Any]:
    return {"id": n, "type": "clip_view", "video_id": str(video), "clip": clip, "ts": ts}


def _react(video: uuid.UUID, kind: str, ts: int, n: str, **extra: str) -> dict[str, Any]:
    return {"id": n, "type": kind, "video_id": str(video), "ts": ts, **extra}


async def _comment(client: httpx.AsyncClient, owner: Person, video: uuid.UUID) -> uuid.UUID:
    response = await client.post(
        f"/api/v1/videos/{video}/comments", json={"body": "first!"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def _scene(client: httpx.AsyncClient, adapters: Adapters, owner: Person) -> Scene:
    long = await make_video(adapters, owner, duration=9.0, tags=["cats"])
    short = await make_video(adapters, owner, duration=3.0)
    return Scene(long, short, await _comment(client, owner, long))


async def _post_all(client: httpx.AsyncClient, scene: Scene, users: list[Person]) -> None:
    t, early = now_ms() - 10_000, now_ms() - 2 * HOUR  # two different clock hours
    u1, u2, u3, u4 = users
    lv, sv, c = scene.long, scene.short, str(scene.comment)
    plan: list[tuple[Person | None, dict[str, Any]]] = [
        (u1, _react(lv, "like", t, "a")),
        (u1, _react(lv, "clear", t + 1, "b")),
        (u1, _react(lv, "like", t + 2, "c")),
        (u2, _react(lv, "dislike", t, "a")),
        (u2, _react(lv, "like", t + 5, "b")),
        (u3, _react(lv, "like", t + 3, "a")),
        (u3, _react(lv, "dislike", t + 1, "b")),  # older than u3's like: loses
        (u4, _react(lv, "dislike", t, "a")),
        (u1, _clip(lv, 0, t, "v0")),
        (u1, _clip(lv, 1, t + 1, "v1")),
        (u1, _clip(lv, 2, t + 2, "v2")),
        (u2, _clip(lv, 0, t, "v0")),  # one clip of a long video: no view
        (u3, _clip(lv, 0, early, "e0")),
        (u3, _clip(lv, 1, early + 1, "e1")),
        (u3, _clip(lv, 0, t, "v0")),  # a new clock hour: a second view
        (u3, _clip(lv, 1, t + 1, "v1")),
        (u4, _clip(sv, 0, t, "v0")),  # half of a short video: a view
        (None, _clip(lv, 3, t, "v0")),
        (None, _clip(lv, 4, t + 1, "v1")),
        (u1, _react(lv, "comment_like", t, "k1", comment_id=c)),
        (u2, _react(lv, "comment_like", t, "k1", comment_id=c)),
        (u2, _react(lv, "comment_dislike", t + 1, "k2", comment_id=c)),
        (u3, _react(lv, "comment_like", t, "k1", comment_id=c)),
        (u3, _react(lv, "clear", t + 9, "k2", comment_id=c)),
    ]
    for person, event in plan:
        response = await post(client, [event], person.headers if person else {})
        assert response.status_code == 202, response.text


# Long: u1 3 clips (a view, 6 s), u2 1 clip (2 s, no view), u3 2 clips in each of two hours
# (two views, 8 s), the anonymous viewer clips 3 and 4 (a view, 2 + 1 s).
EXPECTED_LONG = {"views": 4, "likes": 3, "dislikes": 1, "watch_seconds": 19.0}
EXPECTED_SHORT = {"views": 1, "likes": 0, "dislikes": 0, "watch_seconds": 2.0}
EXPECTED_CLIPS = {0: 4, 1: 3, 2: 1, 3: 1, 4: 1}


async def _counts(client: httpx.AsyncClient, video: uuid.UUID) -> dict[str, Any]:
    client.cookies.clear()  # a bystander: nothing of theirs is pending
    body = (await client.get(f"/api/v1/videos/{video}/stats")).json()
    return {k: body[k] for k in ("views", "likes", "dislikes", "watch_seconds")}


async def _users(client: httpx.AsyncClient) -> list[Person]:
    return [await sign_up(client, f"user{n}") for n in range(1, 5)]


class CrashingCounters:
    """The real store behind a process that dies once right before its first counters write
    (after the SQL commit): the fault a redelivery has to finish."""

    def __init__(self, store: Counters) -> None:
        self.store = store
        self.crashed = False

    async def apply_many(self, batches: Mapping[uuid.UUID, CounterDeltas]) -> set[uuid.UUID]:
        if not self.crashed:
            self.crashed = True
            raise ConnectionError("killed between the SQL commit and the counters write")
        return await self.store.apply_many(batches)


async def test_redelivered_reordered_and_interrupted_batches_count_exactly(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, bus: HandBus
) -> None:
    users = await _users(client)
    scene = await _scene(client, adapters, owner)
    await _post_all(client, scene, users)
    events = await bus.take()
    rng = random.Random(11)
    first = rng.sample(events, len(events))
    crash = CrashingCounters(adapters.counters)
    with pytest.raises(ConnectionError):
        await service.apply_batches(
            first[:5],
            sessions=adapters.sessions,
            counters=crash,  # type: ignore[arg-type]
            partitions=bus.partitions,
            clip_seconds=2,
        )
    deliveries: list[Event] = first + rng.sample(events, 12)
    rng.shuffle(deliveries)
    for start in range(0, len(deliveries), 7):
        await bus.deliver(deliveries[start : start + 7])
    assert await _counts(client, scene.long) == EXPECTED_LONG
    assert await _counts(client, scene.short) == EXPECTED_SHORT
    assert await adapters.counters.clip_views(scene.long) == EXPECTED_CLIPS
    votes = await adapters.counters.comment_counts([scene.comment])
    assert (votes[scene.comment].likes, votes[scene.comment].dislikes) == (1, 1)


async def _everything(counters: Counters, scene: Scene) -> dict[str, Any]:
    now_hour = int(utcnow().timestamp()) // 3600
    snap = await counters.snapshot([scene.long, scene.short], [], [scene.comment])
    return {
        "videos": snap.videos,
        "comments": snap.comments,
        "clips": await counters.clip_views(scene.long),
        "hours": await counters.views_by_hour(scene.long, now_hour - 5, now_hour),
        "hot": await counters.hot("all", rules.hot_weights(now_hour), 10),
        "hot_cats": await counters.hot("tag:cats", rules.hot_weights(now_hour), 10),
        "popular": await counters.popular_comments(scene.long, 0, 10),
    }


async def test_a_wiped_store_is_rebuilt_to_the_same_numbers(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, bus: HandBus
) -> None:
    scene = await _scene(client, adapters, owner)
    await _post_all(client, scene, await _users(client))
    await bus.drain()
    before = await _everything(adapters.counters, scene)
    assert before["videos"][scene.long].views == EXPECTED_LONG["views"]
    await adapters.counters.replace_all(CounterTotals(), set())  # Redis wiped (or tables emptied)
    assert (await _everything(adapters.counters, scene))["clips"] == {}
    rebuilt = await rebuild_counters(
        sessions=adapters.sessions, counters=adapters.counters, now=utcnow()
    )
    assert rebuilt.videos == 2
    assert await _everything(adapters.counters, scene) == before


async def test_a_rebuild_while_batches_are_in_flight_counts_them_once(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    await post(client, [_react(video, "like", now_ms(), "l")], viewer.headers)
    events = await bus.take()
    # Folded into SQL, then the process died before the counters write...
    with pytest.raises(ConnectionError):
        await service.apply_batches(
            events,
            sessions=adapters.sessions,
            counters=CrashingCounters(adapters.counters),  # type: ignore[arg-type]
            partitions=bus.partitions,
            clip_seconds=2,
        )
    # ...the store is rebuilt from SQL (which has the like), then the batch is redelivered.
    rebuilt = await rebuild_counters(
        sessions=adapters.sessions, counters=adapters.counters, now=utcnow()
    )
    assert rebuilt.pending == 1
    await bus.deliver(events)
    assert (await _counts(client, video))["likes"] == 1
