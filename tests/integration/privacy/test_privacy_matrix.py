"""The privacy matrix: 4 visibilities × 5 callers × every resource that shows a video, on
SQLite and PostgreSQL — 0 leaks, and nothing withheld from those who may see it.

What each caller may do is written out here by hand (WATCH, FIND), not asked of access.py:
the test checks the rule, it does not repeat it. A new resource is one line in RESOURCES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from clipcast.core.clock import utcnow
from clipcast.recommendations.service import RecsConfig, refresh_all
from tests.integration.privacy.world import WORDS, Caller, Vis, World, media_urls, post_view

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

EVERYONE = frozenset(Caller)
# Watching: the page, the metadata, the media, the comments.
WATCH: Mapping[Vis, frozenset[Caller]] = {
    Vis.PUBLIC: EVERYONE,
    Vis.UNLISTED: EVERYONE,  # anyone with the link
    Vis.PRIVATE: frozenset({Caller.OWNER}),
    Vis.GROUP: frozenset({Caller.OWNER, Caller.MEMBER}),
}
# Finding it without its link: listings, search, suggestions.
FIND: Mapping[Vis, frozenset[Caller]] = {
    Vis.PUBLIC: EVERYONE,
    Vis.UNLISTED: frozenset({Caller.OWNER}),
    Vis.PRIVATE: frozenset({Caller.OWNER}),
    Vis.GROUP: frozenset({Caller.OWNER, Caller.MEMBER}),
}

# The owner's studio: nobody else, whatever the video's audience.
OWNER_ONLY: Mapping[Vis, frozenset[Caller]] = {vis: frozenset({Caller.OWNER}) for vis in Vis}

Probe = Callable[[World, Vis, Caller], Awaitable[bool]]


@dataclass(frozen=True)
class Resource:
    name: str
    rule: Mapping[Vis, frozenset[Caller]]
    probe: Probe  # True: the caller got the video (or its data) through this resource
    signed_in: bool = False  # only signed-in callers may use it at all
    # Chosen by ranking, so a caller who may see the video need not be shown it; one who
    # may not must never be.
    leaks_only: bool = False

    def expected(self, vis: Vis, caller: Caller) -> bool:
        if self.signed_in and caller is Caller.ANONYMOUS:
            return False
        return caller in self.rule[vis]


def _found(response: httpx.Response) -> bool:
    """200: shown. 404: hidden as a missing video is. Anything else is neither."""
    assert response.status_code in (200, 404), (response.status_code, response.text)
    return response.status_code == 200


async def metadata(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}"
    return _found(await w.client.get(url, headers=w.headers(caller)))


async def watch_page(w: World, vis: Vis, caller: Caller) -> bool:
    response = await w.client.get(f"/watch/{w.videos[vis]}", headers=w.headers(caller))
    shown = _found(response)
    assert shown == (WORDS[vis] in response.text)
    return shown


async def clip_chain(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}/clips"
    params = {"resolution": 240}
    return _found(await w.client.get(url, params=params, headers=w.headers(caller)))


async def listing(w: World, vis: Vis, caller: Caller) -> bool:
    """The site's listing, and for a signed-in caller also their own (`mine`)."""
    queries: list[dict[str, str | int]] = [{"per_page": 100}]
    if caller is not Caller.ANONYMOUS:
        queries.append({"per_page": 100, "mine": "true"})
    ids: set[str] = set()
    for params in queries:
        page = await w.client.get("/api/v1/videos", params=params, headers=w.headers(caller))
        assert page.status_code == 200, page.text
        ids |= {item["id"] for item in page.json()["items"]}
    return w.videos[vis] in ids


async def search(w: World, vis: Vis, caller: Caller) -> bool:
    params = {"q": WORDS[vis]}
    page = await w.client.get("/api/v1/search", params=params, headers=w.headers(caller))
    assert page.status_code == 200, page.text
    return w.videos[vis] in {item["id"] for item in page.json()["items"]}


async def suggestions(w: World, vis: Vis, caller: Caller) -> bool:
    params = {"q": WORDS[vis][:4]}
    got = await w.client.get("/api/v1/search/suggest", params=params, headers=w.headers(caller))
    assert got.status_code == 200, got.text
    return f"The {WORDS[vis]} video" in got.json()["suggestions"]


async def comments(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}/comments"
    response = await w.client.get(url, headers=w.headers(caller))
    shown = _found(response)
    assert not shown or "First!" in {c["body"] for c in response.json()["items"]}
    return shown


async def comment_replies(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/comments/{w.comment_ids[vis]}/replies"
    return _found(await w.client.get(url, headers=w.headers(caller)))


async def comment_post(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}/comments"
    response = await w.client.post(url, json={"body": "Hello"}, headers=w.headers(caller))
    assert response.status_code in (201, 401, 404), (response.status_code, response.text)
    return response.status_code == 201


async def activity_post(w: World, vis: Vis, caller: Caller) -> bool:
    response = await post_view(w, caller, w.videos[vis])
    assert response.status_code in (202, 404), (response.status_code, response.text)
    return response.status_code == 202


async def stats(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}/stats"
    return _found(await w.client.get(url, headers=w.headers(caller)))


async def resume(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/me/history/{w.videos[vis]}"
    return _found(await w.client.get(url, headers=w.headers(caller)))


async def history(w: World, vis: Vis, caller: Caller) -> bool:
    """The caller's history after they (try to) watch it; the removed member watched every
    video while she was in the group."""
    if caller is Caller.ANONYMOUS:
        response = await w.client.get("/api/v1/me/history")
        assert response.status_code == 401
        return False
    await post_view(w, caller, w.videos[vis])
    response = await w.client.get(
        "/api/v1/me/history", params={"per_page": 100}, headers=w.headers(caller)
    )
    assert response.status_code == 200, response.text
    return w.videos[vis] in {item["video_id"] for item in response.json()["items"]}


async def studio_page(w: World, vis: Vis, caller: Caller) -> bool:
    response = await w.client.get(f"/videos/{w.videos[vis]}/studio", headers=w.headers(caller))
    if caller is Caller.ANONYMOUS:
        assert response.status_code == 303, response.status_code  # asked to log in first
        return False
    shown = _found(response)
    assert shown == (WORDS[vis] in response.text)
    return shown


def media(kind: str) -> Probe:
    """Every URL of this kind of object the caller can hold: from their own view of the
    video if they have one, the unsigned CDN path anyone can type, and (the removed member)
    the signed URL handed out while they were in the group. Got: any of them serves it."""

    async def probe(w: World, vis: Vis, caller: Caller) -> bool:
        video_id = w.videos[vis]
        urls = [f"http://testserver/cdn/videos/{video_id}/{w.paths[vis][kind]}"]
        if caller is Caller.REVOKED:
            urls.append(w.held[vis][kind])
        mine = await w.client.get(f"/api/v1/videos/{video_id}", headers=w.headers(caller))
        if mine.status_code == 200:
            urls.append(media_urls(mine.json())[kind])
        return any([await _served(w, url, vis) for url in urls])

    return probe


async def _served(w: World, url: str, vis: Vis) -> bool:
    response = await w.client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    if response.status_code == 200:
        assert response.content
        if vis is not Vis.PUBLIC:  # no shared cache may keep it for someone else
            assert response.headers["cache-control"].startswith("private"), url
    return response.status_code == 200


async def chain_clip(w: World, vis: Vis, caller: Caller) -> bool:
    """The clip URLs the clip chain hands out (and the one the removed member was handed)."""
    urls = [w.held[vis]["chain clip"]] if caller is Caller.REVOKED else []
    chain = await w.client.get(
        f"/api/v1/videos/{w.videos[vis]}/clips",
        params={"resolution": 240},
        headers=w.headers(caller),
    )
    if chain.status_code == 200:
        urls.append(chain.json()["clips"][0]["url"])
    return any([await _served(w, url, vis) for url in urls])


async def analytics(w: World, vis: Vis, caller: Caller) -> bool:
    url = f"/api/v1/videos/{w.videos[vis]}/analytics"
    return _found(await w.client.get(url, headers=w.headers(caller)))


_REFRESHED: set[int] = set()


async def recommended(w: World, vis: Vis, caller: Caller) -> bool:
    """The caller's recommendation rows (after a batch refresh that saw every view) and the
    up-next list of every video they may open."""
    if id(w) not in _REFRESHED:
        a = w.adapters
        await refresh_all(
            sessions=a.sessions,
            counters=a.counters,
            storage=a.storage,
            config=RecsConfig(),
            now=utcnow() + timedelta(seconds=1),
        )
        _REFRESHED.add(id(w))
    shown: set[str] = set()
    rows = await w.client.get("/api/v1/me/recommendations", headers=w.headers(caller))
    assert rows.status_code in (200, 401), rows.text
    if rows.status_code == 200:
        shown |= {item["id"] for row in rows.json()["rows"] for item in row["items"]}
    for other in w.videos.values():
        nxt = await w.client.get(f"/api/v1/videos/{other}/up-next", headers=w.headers(caller))
        if _found(nxt):
            shown |= {item["id"] for item in nxt.json()["items"]}
    return w.videos[vis] in shown


MEDIA = (
    "master playlist",
    "media playlist",
    "init segment",
    "clip",
    "poster",
    "poster webp",
    "storyboard",
)
RESOURCES = [
    Resource("metadata", WATCH, metadata),
    Resource("watch page", WATCH, watch_page),
    Resource("clip chain", WATCH, clip_chain),
    Resource("listing", FIND, listing),
    Resource("search", FIND, search),
    Resource("suggestions", FIND, suggestions),
    *(Resource(kind, WATCH, media(kind)) for kind in MEDIA),
    Resource("chain clip", WATCH, chain_clip),
    Resource("comments", WATCH, comments),
    Resource("comment replies", WATCH, comment_replies),
    Resource("comment post", WATCH, comment_post, signed_in=True),
    Resource("activity post", WATCH, activity_post),
    Resource("stats", WATCH, stats),
    Resource("resume point", WATCH, resume),
    Resource("history", WATCH, history, signed_in=True),
    Resource("studio page", OWNER_ONLY, studio_page),
    Resource("analytics", OWNER_ONLY, analytics, signed_in=True),
    Resource("recommendations", FIND, recommended, leaks_only=True),
]


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
@pytest.mark.parametrize("caller", list(Caller), ids=str)
@pytest.mark.parametrize("vis", list(Vis), ids=str)
async def test_no_leaks(world: World, vis: Vis, caller: Caller, resource: Resource) -> None:
    got = await resource.probe(world, vis, caller)
    expected = resource.expected(vis, caller)
    if resource.leaks_only:
        assert expected or not got, f"{caller} got the {resource.name} of a {vis} video"
        return
    assert got == expected, (
        f"{caller} {'got' if got else 'was refused'} the {resource.name} of a {vis} video"
    )


async def test_the_recommendation_probe_sees_what_may_be_shown(world: World) -> None:
    # Without this the leaks-only probe could pass by showing nothing to anyone.
    shown = {
        (vis, caller) for vis in Vis for caller in Caller if await recommended(world, vis, caller)
    }
    assert (Vis.PUBLIC, Caller.OTHER) in shown
