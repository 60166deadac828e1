"""Watching and liking through the API: counts, the caller's own writes at once, history."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from clipcast.activity.models import ActivityLog
from clipcast.bootstrap import Adapters
from tests.integration.activity.conftest import (
    HandBus,
    Person,
    clip_views,
    make_video,
    now_ms,
    post,
    reaction,
    stats,
)


async def test_an_anonymous_watch_counts_one_view_once_the_bus_delivers(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    response = await post(client, clip_views(video, [0, 1, 2]))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 3
    assert "clipcast_viewer" in response.cookies
    await bus.drain()
    client.cookies.clear()  # someone else asks
    body = await stats(client, video)
    assert (body["views"], body["likes"], body["watch_seconds"]) == (1, 0, 6.0)
    assert body["my_reaction"] is None
    assert await adapters.counters.clip_views(video) == {0: 1, 1: 1, 2: 1}


async def test_the_caller_sees_their_like_and_view_before_the_bus_moves(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    events = [*clip_views(video, [0, 1]), reaction(video, "like", "l1")]
    assert (await post(client, events, viewer.headers)).status_code == 202
    mine = await stats(client, video, viewer.headers)
    assert (mine["views"], mine["likes"], mine["my_reaction"]) == (1, 1, "like")
    others = await stats(client, video, owner.headers)
    assert (others["views"], others["likes"], others["my_reaction"]) == (0, 0, "none")
    await bus.drain()
    assert await stats(client, video, viewer.headers) == mine
    others = await stats(client, video, owner.headers)
    assert (others["views"], others["likes"]) == (1, 1)


async def test_clear_and_dislike_move_counts_by_one_for_the_caller_at_once(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    ts = now_ms()
    await post(client, [reaction(video, "like", "a", ts=ts)], viewer.headers)
    await bus.drain()
    await post(client, [reaction(video, "dislike", "b", ts=ts + 1)], viewer.headers)
    mine = await stats(client, video, viewer.headers)
    assert (mine["likes"], mine["dislikes"], mine["my_reaction"]) == (0, 1, "dislike")
    await post(client, [reaction(video, "clear", "c", ts=ts + 2)], viewer.headers)
    mine = await stats(client, video, viewer.headers)
    assert (mine["likes"], mine["dislikes"], mine["my_reaction"]) == (0, 0, "none")
    await bus.drain()
    assert await stats(client, video, viewer.headers) == mine


async def test_history_lists_last_watched_first_and_resumes(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    first = await make_video(adapters, owner, title="First")
    second = await make_video(adapters, owner, title="Second", duration=30.0)
    await post(client, clip_views(first, [0, 1], prefix="f"), viewer.headers)
    await bus.drain()
    leave = {"id": "leave", "type": "page_leave", "video_id": str(second), "ts": now_ms() + 50,
             "position": 12.5}  # fmt: skip
    await post(client, [*clip_views(second, [0, 1, 2], prefix="s"), leave], viewer.headers)
    # Not delivered yet: the history already shows it, first.
    page = (await client.get("/api/v1/me/history", headers=viewer.headers)).json()
    assert [item["title"] for item in page["items"]] == ["Second", "First"]
    assert page["total"] == 2
    resume = (await client.get(f"/api/v1/me/history/{second}", headers=viewer.headers)).json()
    assert (resume["position"], resume["progress"]) == (12.5, 12.5 / 30.0)
    await bus.drain()
    page = (
        await client.get("/api/v1/me/history", params={"per_page": 1}, headers=viewer.headers)
    ).json()
    assert [item["title"] for item in page["items"]] == ["Second"]
    assert (page["total"], page["items"][0]["watch_count"]) == (2, 1)


async def test_removing_and_clearing_history(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    first = await make_video(adapters, owner, title="First")
    second = await make_video(adapters, owner, title="Second")
    await post(client, clip_views(first, [0, 1], prefix="f"), viewer.headers)
    await post(client, clip_views(second, [0], prefix="s"), viewer.headers)
    await bus.drain()
    assert (
        await client.delete(f"/api/v1/me/history/{first}", headers=viewer.headers)
    ).status_code == 204
    page = (await client.get("/api/v1/me/history", headers=viewer.headers)).json()
    assert [item["title"] for item in page["items"]] == ["Second"]
    # A batch still on its way when the history is cleared does not bring it back.
    await post(client, clip_views(second, [2], prefix="late"), viewer.headers)
    assert (await client.delete("/api/v1/me/history", headers=viewer.headers)).status_code == 204
    await bus.drain()
    page = (await client.get("/api/v1/me/history", headers=viewer.headers)).json()
    assert page == {"items": [], "total": 0, "page": 1, "per_page": 24}
    # The views still count: erasing one's history does not unwatch the video.
    assert (await stats(client, first))["views"] == 1
    assert (await client.get("/api/v1/me/history")).status_code == 401


async def test_a_video_made_private_leaves_others_histories_and_stats(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner, title="Soon private")
    await post(client, clip_views(video, [0, 1]), viewer.headers)
    await bus.drain()
    patch = await client.patch(
        f"/api/v1/videos/{video}", json={"visibility": "private"}, headers=owner.headers
    )
    assert patch.status_code == 200, patch.text
    page = (await client.get("/api/v1/me/history", headers=viewer.headers)).json()
    assert page["items"] == []
    for path in (f"/api/v1/videos/{video}/stats", f"/api/v1/me/history/{video}"):
        assert (await client.get(path, headers=viewer.headers)).status_code == 404
    assert (await post(client, clip_views(video, [2]), viewer.headers)).status_code == 404
    assert (await stats(client, video, owner.headers))["views"] == 1


async def test_a_deleted_video_takes_its_counters_and_history_rows_along(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    kept = await make_video(adapters, owner)
    await post(client, [*clip_views(video, [0, 1]), reaction(video, "like", "l")], viewer.headers)
    await post(client, clip_views(kept, [0, 1], prefix="k"), viewer.headers)
    await bus.drain()
    assert (
        await client.delete(f"/api/v1/videos/{video}", headers=owner.headers)
    ).status_code == 204
    await bus.deliver(await bus.take(["video.deleted"]))
    snapshot = await adapters.counters.snapshot([video, kept], [])
    assert video not in snapshot.videos
    assert snapshot.videos[kept].views == 1
    assert await adapters.counters.clip_views(video) == {}
    page = (await client.get("/api/v1/me/history", headers=viewer.headers)).json()
    assert [item["video_id"] for item in page["items"]] == [str(kept)]


async def test_a_retried_batch_counts_once(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    events = [*clip_views(video, [0, 1, 2]), reaction(video, "like", "l")]
    for _ in range(3):  # the answer was lost twice: the player sends the same events again
        assert (await post(client, events, viewer.headers)).status_code == 202
    await bus.drain()
    body = await stats(client, video, owner.headers)
    assert (body["views"], body["likes"], body["watch_seconds"]) == (1, 1, 6.0)
    assert await adapters.counters.clip_views(video) == {0: 1, 1: 1, 2: 1}
    async with adapters.sessions() as session:
        logged = await session.scalar(select(func.count()).select_from(ActivityLog))
    assert logged == len(events)
