"""Search over HTTP: the result shape, who sees what, filters, bad input, suggestions and the
search page. Videos are rows written straight to SQL (state ready) and indexed by the bus
handler, so no media is processed."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from clipcast.accounts.models import User
from clipcast.adapters.bus.base import Event
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.search import handlers
from clipcast.settings import Settings
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from tests.integration.api.test_accounts import register, token_for
from tests.integration.conftest import auth


@pytest.fixture(params=[0, 2], ids=["in-process", "readers"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Every test twice: searches answered in this process, and by 2 reader processes."""
    settings.search_readers = request.param
    return settings


HOSTILE = '<img src=x onerror="alert(1)"> Guitar & <b>amps</b>'


async def add_video(
    adapters: Adapters,
    owner: str,
    title: str,
    *,
    description: str = "",
    duration: float = 300,
    days_ago: float = 1,
    visibility: Visibility = Visibility.PUBLIC,
) -> str:
    now = utcnow()
    async with adapters.sessions() as session:
        owner_id = await session.scalar(select(User.id).where(User.username == owner))
        assert owner_id is not None
        video = Video(
            id=uuid.uuid4(),
            owner_id=owner_id,
            created_at=now - timedelta(days=days_ago),
            updated_at=now,
            title=title,
            description=description,
            duration=duration,
            state=VideoState.READY,
            progress=100,
            playable=True,
            visibility=visibility,
        )
        session.add(video)
        await session.commit()
    event = Event(uuid.uuid4(), "video.ready", {"video_id": str(video.id)}, now)
    await handlers.handle(event, sessions=adapters.sessions, index=adapters.search)
    return str(video.id)


@pytest.fixture
async def tokens(client: httpx.AsyncClient) -> dict[str, str]:
    out = {}
    for name in ("alice", "bob"):
        await register(client, name, f"{name}'s password")
        out[name] = await token_for(client, name, f"{name}'s password")
    return out


@pytest.fixture
async def videos(adapters: Adapters, tokens: dict[str, str]) -> dict[str, str]:
    return {
        "lesson": await add_video(
            adapters,
            "alice",
            "Guitar lesson for beginners",
            description="Hold the pick <gently> & tune the guitar.",
            duration=900,
            days_ago=2,
        ),
        "solo": await add_video(adapters, "alice", "Blues guitar solo", duration=200, days_ago=40),
        "cake": await add_video(adapters, "bob", "Chocolate cake", duration=600, days_ago=3),
        "private": await add_video(
            adapters, "bob", "Guitar practice diary", visibility=Visibility.PRIVATE
        ),
        "unlisted": await add_video(
            adapters, "bob", "Guitar lesson for friends", visibility=Visibility.UNLISTED
        ),
        "hostile": await add_video(adapters, "bob", HOSTILE, duration=500, days_ago=10),
    }


async def search(
    client: httpx.AsyncClient, token: str | None = None, **params: object
) -> httpx.Response:
    headers = auth(token) if token else {}
    return await client.get("/api/v1/search", params=params, headers=headers)  # type: ignore[arg-type]


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_typo_query_returns_the_result_shape(
    client: httpx.AsyncClient, videos: dict[str, str]
) -> None:
    body = (await search(client, q="gutiar lesson")).json()
    assert body["total"] == 1
    assert (body["page"], body["per_page"]) == (1, 20)
    item = body["items"][0]
    assert item["id"] == videos["lesson"]
    assert item["title"] == "Guitar lesson for beginners"
    assert item["snippet_title"] == "<mark>Guitar</mark> <mark>lesson</mark> for beginners"
    assert item["snippet_description"] == (
        "Hold the pick &lt;gently&gt; &amp; tune the <mark>guitar</mark>."
    )
    assert item["description"] == "Hold the pick <gently> & tune the guitar."
    assert item["duration"] == 900
    assert item["owner"]["username"] == "alice"
    assert item["thumbnails"] == {}
    assert item["score"] > 0
    assert item["created_at"]


async def test_others_private_and_unlisted_videos_never_appear(
    client: httpx.AsyncClient, tokens: dict[str, str], videos: dict[str, str]
) -> None:
    hidden = {videos["private"], videos["unlisted"]}
    for token in (None, tokens["alice"]):
        for q in ("guitar", "guit", "gitar lesson", "practice diary", ""):
            assert not hidden & set(ids(await search(client, token, q=q))), (token, q)
    own = set(ids(await search(client, tokens["bob"], q="guitar")))
    assert hidden <= own


async def test_filters_and_sorts_over_http(
    client: httpx.AsyncClient, tokens: dict[str, str], videos: dict[str, str]
) -> None:
    assert ids(await search(client, q="guitar", duration_max=300)) == [videos["solo"]]
    assert ids(await search(client, q="guitar", duration_min=800)) == [videos["lesson"]]
    assert set(ids(await search(client, date="week"))) == {videos["lesson"], videos["cake"]}
    assert ids(await search(client, owner="BOB", q="chocolate")) == [videos["cake"]]
    assert ids(await search(client, q="guitar", owner="bob")) == [videos["hostile"]]
    by_date = (await search(client, q="guitar", sort="date")).json()["items"]
    assert [i["id"] for i in by_date] == [videos["lesson"], videos["hostile"], videos["solo"]]
    assert all(i["score"] is None for i in by_date)
    assert ids(await search(client, q="", tags="music,live")) == []  # no video has tags yet


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"duration_min": -1}, 422),
        ({"duration_min": 100, "duration_max": 10}, 422),
        ({"sort": "loudest"}, 422),
        ({"date": "century"}, 422),
        ({"page": 0}, 422),
        ({"per_page": 101}, 422),
        ({"page": 1000, "per_page": 20}, 422),
        ({"q": "x" * 201}, 422),
        ({"uploaded_after": "2024-05-02", "uploaded_before": "2024-05-01"}, 422),
        ({"uploaded_after": "yesterday"}, 422),
    ],
)
async def test_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, params: dict[str, object], status: int
) -> None:
    response = await search(client, **params)
    assert response.status_code == status
    codes = {"invalid_input", "bad_duration", "bad_page", "bad_date_range"}
    assert response.json()["error"]["code"] in codes


async def test_suggestions_while_typing(
    client: httpx.AsyncClient, tokens: dict[str, str], videos: dict[str, str]
) -> None:
    response = await client.get("/api/v1/search/suggest", params={"q": "guitar les"})
    assert response.json() == {"suggestions": ["Guitar lesson for beginners"]}
    mine = await client.get(
        "/api/v1/search/suggest", params={"q": "guitar les"}, headers=auth(tokens["bob"])
    )
    assert set(mine.json()["suggestions"]) == {
        "Guitar lesson for beginners",
        "Guitar lesson for friends",
    }
    empty = await client.get("/api/v1/search/suggest", params={"q": " "})
    assert empty.json() == {"suggestions": []}


async def test_search_page_shows_marked_snippets_and_escapes_the_rest(
    client: httpx.AsyncClient, videos: dict[str, str]
) -> None:
    response = await client.get("/search", params={"q": "guitar"})
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<mark>Guitar</mark> lesson for beginners" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>Guitar</mark>" in html
    assert "<b>" not in html
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts
    assert all('src="/static/' in attributes for attributes in scripts)  # none inline
    assert videos["private"] not in html


async def test_search_page_filters_and_unknown_choices(
    client: httpx.AsyncClient, videos: dict[str, str]
) -> None:
    short = await client.get("/search", params={"q": "guitar", "duration": "short"})
    assert videos["solo"] in short.text
    assert videos["lesson"] not in short.text
    odd = await client.get("/search", params={"q": "guitar", "sort": "loudest", "date": "?"})
    assert odd.status_code == 200
    assert videos["lesson"] in odd.text
    empty = await client.get("/search", params={"q": "zzzz"})
    assert "No videos match" in empty.text
