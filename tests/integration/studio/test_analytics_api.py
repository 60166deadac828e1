"""A video's analytics through the API: the owner sees views over time, reactions, watch time
and the retention curve (their own latest events at once); everyone else gets a 404. On SQLite
and PostgreSQL, with the counters in SQL and in a real Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast.adapters.counters.base import CounterTotals
from clipcast.bootstrap import Adapters
from clipcast.settings import Settings
from tests.integration.activity.conftest import (
    HandBus,
    Person,
    make_video,
    now_ms,
    post,
    reaction,
    sign_up,
)
from tests.services import reachable, require

REDIS_URL = "redis://127.0.0.1:6379/0"
HOUR_MS = 3_600_000


@pytest.fixture(params=["sql-counters", "redis-counters"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Settings:
    """Counters in SQL tables, or in Redis under a prefix of this test's own."""
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


def _clips(video: uuid.UUID, clips: list[int], ts: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{c}", "type": "clip_view", "video_id": str(video), "clip": c, "ts": ts + c}
        for c in clips
    ]


async def _analytics(
    client: httpx.AsyncClient, video: uuid.UUID, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.get(f"/api/v1/videos/{video}/analytics", params=params, headers=headers)


def _hour_start(ts_ms: int) -> str:
    start = datetime.fromtimestamp(ts_ms // HOUR_MS * 3600, UTC)
    return start.isoformat().replace("+00:00", "Z")


def _nonzero(body: dict[str, Any]) -> dict[str, int]:
    return {p["start"]: p["views"] for p in body["views_over_time"]["points"] if p["views"]}


async def test_the_owner_sees_views_reactions_watch_time_and_retention(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner, duration=9.0)  # 5 clips, the last 1 s long
    wendy = await sign_up(client, "wendy")
    ts = now_ms()
    watched = [*_clips(video, [0, 1, 2, 3, 4], ts, "v"), reaction(video, "like", "vl", ts=ts)]
    assert (await post(client, watched, viewer.headers)).status_code == 202
    watched = [*_clips(video, [0, 1], ts, "w"), reaction(video, "dislike", "wd", ts=ts)]
    assert (await post(client, watched, wendy.headers)).status_code == 202
    # An anonymous glimpse: one clip reached, not enough for a view.
    assert (await post(client, _clips(video, [0], ts, "a"))).status_code == 202
    client.cookies.clear()
    await bus.drain()

    response = await _analytics(client, video, owner.headers, bucket="hour", span=3)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["views"], body["likes"], body["dislikes"]) == (2, 1, 1)
    assert body["watch_seconds"] == 2 * 4 + 1 + 2 * 2 + 2  # victor 9 s, wendy 4 s, anon 2 s
    assert body["retention"] == {"clip_seconds": 2, "viewers": [3, 2, 1, 1, 1]}
    over_time = body["views_over_time"]
    assert over_time["bucket"] == "hour"
    assert len(over_time["points"]) == 3
    assert _nonzero(body) == {_hour_start(ts): 2}
    assert (body["title"], body["duration"]) == ("A video", 9.0)

    # Daily buckets (UTC days) by default: 30 of them, the views in the day of the watch.
    daily = (await _analytics(client, video, owner.headers)).json()["views_over_time"]
    assert (daily["bucket"], len(daily["points"])) == ("day", 30)
    day = datetime.fromtimestamp(ts // 1000, UTC).date().isoformat()
    assert {p["start"][:10]: p["views"] for p in daily["points"] if p["views"]} == {day: 2}
    assert all(p["start"].endswith("T00:00:00Z") for p in daily["points"])


async def test_everyone_but_the_owner_gets_a_404(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person
) -> None:
    public = await make_video(adapters, owner)
    private = await make_video(adapters, owner, visibility="private")
    for video in (public, private):
        assert (await _analytics(client, video, owner.headers)).status_code == 200
        for headers in (viewer.headers, {}):
            response = await _analytics(client, video, headers)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "video_not_found"
    # A video that does not exist answers the same as one of someone else's.
    missing = await _analytics(client, uuid.uuid4(), viewer.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "video_not_found"


async def test_the_owner_sees_their_own_watch_at_once_and_once(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner, duration=9.0)
    ts = now_ms()
    await post(client, _clips(video, [0, 1], ts, "v"), viewer.headers)
    await bus.drain()
    # The owner watches their own video; the bus has not carried it yet.
    await post(client, _clips(video, [0, 1, 2], ts, "o"), owner.headers)
    before = (await _analytics(client, video, owner.headers, bucket="hour", span=3)).json()
    assert before["views"] == 2
    assert before["retention"]["viewers"] == [2, 2, 1, 0, 0]
    assert _nonzero(before) == {_hour_start(ts): 2}
    await bus.drain()
    after = (await _analytics(client, video, owner.headers, bucket="hour", span=3)).json()
    assert after == before  # counted once, however far the bus has got


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"bucket": "week"}, "invalid_input"),
        ({"span": 0}, "invalid_input"),
        ({"bucket": "hour", "span": 24 * 14 + 1}, "bad_span"),
        ({"bucket": "day", "span": 367}, "bad_span"),
    ],
)
async def test_a_bad_window_is_a_clear_422(
    client: httpx.AsyncClient,
    adapters: Adapters,
    owner: Person,
    params: dict[str, Any],
    code: str,
) -> None:
    video = await make_video(adapters, owner)
    response = await _analytics(client, video, owner.headers, **params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_the_longest_windows_are_allowed(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person
) -> None:
    video = await make_video(adapters, owner)
    days = (await _analytics(client, video, owner.headers, bucket="day", span=366)).json()
    hours = (await _analytics(client, video, owner.headers, bucket="hour", span=336)).json()
    assert len(days["views_over_time"]["points"]) == 366
    assert len(hours["views_over_time"]["points"]) == 336
    assert days["retention"]["viewers"] == [0] * 5  # 9 s: five clips, none reached yet
