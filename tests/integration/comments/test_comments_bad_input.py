"""Bad input to comments gets a clear 4xx: a deleted video, a 10 kB comment, markup, a flood."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.comments.conftest import listing, post, posted
from tests.integration.conftest import auth

pytestmark = pytest.mark.slow


async def test_a_comment_on_a_deleted_video_is_not_found(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    made = await posted(client, bob, video, "before it went")
    assert (await client.delete(f"/api/v1/videos/{video}", headers=auth(alice))).status_code == 204
    response = await post(client, bob, video, "too late")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_found"
    assert (await listing(client, video)).status_code == 404
    reply = await client.get(f"/api/v1/comments/{made['id']}/replies")
    assert reply.status_code == 404  # the video's comments went with it


async def test_a_10_kb_comment_is_refused_and_2000_characters_are_accepted(
    client: httpx.AsyncClient, bob: str, video: str
) -> None:
    response = await post(client, bob, video, "x" * 10_240)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "comment_too_long"
    assert "2,000" in error["message"]
    longest = await posted(client, bob, video, "é" * 2_000)
    assert len(longest["body"]) == 2_000
    made = await posted(client, bob, video, "short")
    edit = await client.patch(
        f"/api/v1/comments/{made['id']}", json={"body": "y" * 10_240}, headers=auth(bob)
    )
    assert edit.status_code == 422
    assert edit.json()["error"]["code"] == "comment_too_long"
    assert (await listing(client, video)).json()["total"] == 2


async def test_html_in_a_comment_is_kept_as_plain_text(
    client: httpx.AsyncClient, bob: str, video: str
) -> None:
    markup = '<script>alert("x")</script><img src=x onerror=alert(1)> &amp; <b>bold</b>'
    made = await posted(client, bob, video, markup)
    assert made["body"] == markup
    [shown] = (await listing(client, video)).json()["items"]
    assert shown["body"] == markup  # JSON carries the text as written; pages escape it


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "comment_empty"),
        ("   \n\t  ", "comment_empty"),
        ("bell\x07", "comment_bad_text"),
        ("evil\u202etxt.exe", "comment_bad_text"),
    ],
)
async def test_empty_or_invisible_text_is_refused(
    client: httpx.AsyncClient, bob: str, video: str, body: str, code: str
) -> None:
    response = await post(client, bob, video, body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


async def test_text_is_trimmed_and_line_ends_normalised(
    client: httpx.AsyncClient, bob: str, video: str
) -> None:
    made = await posted(client, bob, video, "  one\r\ntwo\n\n\n\n\nthree  \t")
    assert made["body"] == "one\ntwo\n\n\nthree"


async def test_a_sixth_comment_within_30_s_is_rate_limited_with_retry_after(
    client: httpx.AsyncClient, alice: str, bob: str, video: str
) -> None:
    for n in range(5):
        await posted(client, bob, video, f"comment {n}")
    response = await post(client, bob, video, "one too many")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 30
    assert (await listing(client, video)).json()["total"] == 5  # the refused one is not stored
    await posted(client, alice, video, "others may still post")


@pytest.mark.parametrize(
    "params",
    [{"sort": "loudest"}, {"page": 0}, {"per_page": 51}, {"page": "two"}],
)
async def test_a_bad_listing_query_is_422(
    client: httpx.AsyncClient, video: str, params: dict[str, str | int]
) -> None:
    response = await client.get(f"/api/v1/videos/{video}/comments", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_unknown_ids_and_malformed_bodies_are_4xx(
    client: httpx.AsyncClient, bob: str, video: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await listing(client, missing)).status_code == 404
    assert (await post(client, bob, missing, "hello")).status_code == 404
    assert (await post(client, bob, video, "hi", parent_id=missing)).status_code == 404
    assert (await post(client, bob, video, "hi", parent_id="nope")).status_code == 422
    assert (await client.get("/api/v1/videos/not-a-uuid/comments")).status_code == 422
    no_body = await client.post(
        f"/api/v1/videos/{video}/comments", json={"text": "hi"}, headers=auth(bob)
    )
    assert no_body.status_code == 422
    not_text = await client.post(
        f"/api/v1/videos/{video}/comments", json={"body": 42}, headers=auth(bob)
    )
    assert not_text.status_code == 422
