"""Bad activity batches are refused whole, with a clear error, and leave nothing behind."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clipcast.bootstrap import Adapters
from clipcast.outbox.models import OutboxEvent
from clipcast.web.deps import CSRF_COOKIE, CSRF_HEADER
from tests.integration.activity.conftest import (
    Person,
    clip_views,
    make_video,
    now_ms,
    post,
    reaction,
)


async def _outbox_count(adapters: Adapters) -> int:
    async with adapters.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == "activity.batch")
        )
    return int(count or 0)


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return str(body["error"]["code"])


async def test_each_bad_batch_is_refused_with_its_reason(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person
) -> None:
    video = await make_video(adapters, owner, duration=9.0)  # 5 clips: 0–4
    hidden = await make_video(adapters, owner, visibility="private")
    too_many = clip_views(video, [0] * (adapters.settings.activity_max_events + 1))
    unknown = [{"id": "x", "type": "teleport", "video_id": str(video), "ts": now_ms()}]
    cases: list[tuple[list[dict[str, Any]], dict[str, str], int, str]] = [
        (too_many, viewer.headers, 413, "batch_too_large"),
        (unknown, viewer.headers, 422, "unknown_action"),
        (clip_views(video, [0, 5]), viewer.headers, 422, "clip_out_of_range"),
        (clip_views(hidden, [0]), viewer.headers, 404, "video_not_found"),
        (clip_views(uuid.uuid4(), [0]), viewer.headers, 404, "video_not_found"),
        ([reaction(video, "like", "l")], {}, 401, "login_required"),
        ([reaction(video, "like", "l", ts=now_ms() - 2 * 86_400_000)], viewer.headers, 422,
         "bad_timestamp"),
        ([reaction(video, "like", "l", ts=now_ms() + 3_600_000)], viewer.headers, 422,
         "bad_timestamp"),
        ([{**reaction(video, "like", "l"), "id": "no spaces"}], viewer.headers, 422,
         "invalid_input"),
        ([{"id": "p", "type": "page_leave", "video_id": str(video), "ts": now_ms(),
           "position": 60.0}], viewer.headers, 422, "position_out_of_range"),
        ([{"id": "c", "type": "comment_like", "video_id": str(video), "ts": now_ms(),
           "comment_id": str(uuid.uuid4())}], viewer.headers, 404, "comment_not_found"),
        ([], viewer.headers, 422, "invalid_input"),
    ]  # fmt: skip
    for events, headers, status, code in cases:
        assert _error(await post(client, events, headers), status) == code, events[:1]
    # The owner sees their private video; nobody else's refusal left a trace.
    assert (await post(client, clip_views(hidden, [0]), owner.headers)).status_code == 202
    assert await _outbox_count(adapters) == 1


async def test_a_body_over_the_byte_cap_is_refused_before_parsing(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person
) -> None:
    video = await make_video(adapters, owner)
    padding = "x" * (adapters.settings.activity_max_bytes + 1)
    response = await client.post(
        "/api/v1/activity",
        content=f'{{"events": [], "csrf": "{padding}"}}',
        headers={"content-type": "application/json"},
    )
    assert _error(response, 413) == "batch_too_large"
    broken = await client.post("/api/v1/activity", content=b"{not json")
    assert _error(broken, 422) == "invalid_input"
    assert (await post(client, clip_views(video, [0]))).status_code == 202


async def test_a_viewer_over_the_rate_limit_is_told_when_to_come_back(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person
) -> None:
    video = await make_video(adapters, owner, duration=3600.0)
    budget = adapters.settings.activity_rate_per_minute
    batch = adapters.settings.activity_max_events
    sent = 0
    while sent + batch <= budget:
        events = clip_views(video, range(sent, sent + batch), prefix=f"b{sent}-")
        assert (await post(client, events, viewer.headers)).status_code == 202
        sent += batch
    over = await post(client, clip_views(video, range(batch), prefix="over"), viewer.headers)
    assert _error(over, 429) == "rate_limited"
    assert int(over.headers["retry-after"]) >= 1
    # Another viewer has a budget of their own.
    assert (await post(client, clip_views(video, [0]), owner.headers)).status_code == 202


async def test_a_browser_session_needs_the_csrf_token_in_the_header_or_the_body(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person
) -> None:
    video = await make_video(adapters, owner)
    login = await client.post(
        "/api/v1/auth/session",
        json={"username": viewer.name, "password": f"{viewer.name}'s password"},
    )
    assert login.status_code == 200
    csrf = client.cookies[CSRF_COOKIE]
    events = [reaction(video, "like", "l1")]
    assert _error(await post(client, events), 403) == "csrf"
    assert (await post(client, events, {CSRF_HEADER: csrf})).status_code == 202
    # navigator.sendBeacon sends no headers: the token rides in the body.
    beacon = await client.post(
        "/api/v1/activity",
        json={"events": [reaction(video, "clear", "l2")], "csrf": csrf},
    )
    assert beacon.status_code == 202, beacon.text


@pytest.mark.parametrize("cookie", ["forged", "signed-elsewhere"])
async def test_a_forged_viewer_cookie_gets_a_fresh_anonymous_id(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, cookie: str
) -> None:
    video = await make_video(adapters, owner)
    value = f"{owner.id.hex}.AAAA" if cookie == "forged" else "garbage"
    client.cookies.set("clipcast_viewer", value)
    response = await post(client, clip_views(video, [0]))
    assert response.status_code == 202
    issued = response.cookies["clipcast_viewer"]
    assert not issued.startswith(owner.id.hex)  # nobody writes into a user's history
