"""The privacy matrix's media rows against the nginx edge as well as the embedded route:
4 visibilities × 5 callers × playlist, init segment, clip, posters, storyboard, chain clip —
0 leaks, 404 (never 403) wherever the embedded route says 404; then expired, foreign and
tampered tokens, and revocation through the gate."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import httpx
import pytest

from clipcast.cdn.signing import sign_playback
from clipcast.core.clock import utcnow
from tests.integration.edge.conftest import Edge
from tests.integration.privacy.world import Caller, Vis, media_urls

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

WATCH = {
    Vis.PUBLIC: set(Caller),
    Vis.UNLISTED: set(Caller),
    Vis.PRIVATE: {Caller.OWNER},
    Vis.GROUP: {Caller.OWNER, Caller.MEMBER},
}
KINDS = (
    "master playlist",
    "media playlist",
    "init segment",
    "clip",
    "poster",
    "poster webp",
    "storyboard",
    "chain clip",
)
TOKEN = re.compile(r"/cdn/s/([^/]+)/(\d+)/(\d+)/videos/")


async def _urls(e: Edge, vis: Vis, caller: Caller, kind: str) -> list[str]:
    """Every URL of this object the caller can hold (as the embedded matrix builds them)."""
    w, video_id = e.world, e.world.videos[vis]
    urls = [w.held[vis][kind]] if caller is Caller.REVOKED else []
    if kind == "chain clip":
        chain = await w.client.get(
            f"/api/v1/videos/{video_id}/clips",
            params={"resolution": 240},
            headers=w.headers(caller),
        )
        return urls + ([chain.json()["clips"][0]["url"]] if chain.status_code == 200 else [])
    urls.append(f"http://testserver/cdn/videos/{video_id}/{w.paths[vis][kind]}")
    mine = await w.client.get(f"/api/v1/videos/{video_id}", headers=w.headers(caller))
    if mine.status_code == 200:
        urls.append(media_urls(mine.json())[kind])
    return urls


async def _served(client: httpx.AsyncClient, url: str, vis: Vis) -> bool:
    response = await client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code, response.text)
    if response.status_code == 404:
        assert response.headers["cache-control"] == "no-store", url
        return False
    assert response.content
    if vis is not Vis.PUBLIC:  # no shared cache may keep it for someone else
        assert response.headers["cache-control"].startswith("private"), url
    return True


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("caller", list(Caller), ids=str)
@pytest.mark.parametrize("vis", list(Vis), ids=str)
async def test_the_edge_serves_exactly_what_the_embedded_route_serves(
    edge: Edge, vis: Vis, caller: Caller, kind: str
) -> None:
    urls = await _urls(edge, vis, caller, kind)
    async with httpx.AsyncClient() as http:
        at_edge = [await _served(http, edge.at_edge(u), vis) for u in urls]
    embedded = [await _served(edge.world.client, u, vis) for u in urls]
    assert at_edge == embedded, urls
    assert any(at_edge) == (caller in WATCH[vis]), f"{caller} / {vis} / {kind}"


def _forgeries(url: str, other_video: str, secret: bytes) -> dict[str, str]:
    match = TOKEN.search(url)
    assert match is not None, url
    mac, expires, version = match.groups()
    video_id = url.split("/videos/")[1].split("/")[0]
    expired = sign_playback(secret, uuid.UUID(video_id), utcnow() - timedelta(hours=2), 60)
    flipped = ("B" if mac[0] == "A" else "A") + mac[1:]

    def swap(token: str) -> str:
        return TOKEN.sub(f"/cdn/s/{token}/videos/", url)

    return {
        "expired": swap(expired),
        "another video's token": url.replace(video_id, other_video),
        "tampered mac": swap(f"{flipped}/{expires}/{version}"),
        "later expiry": swap(f"{mac}/{int(expires) + 3600}/{version}"),
        "other key version": swap(f"{mac}/{expires}/{int(version) + 1}"),
        "no token": re.sub(r"/cdn/s/[^/]+/\d+/\d+/", "/cdn/", url),
    }


async def test_expired_foreign_and_tampered_tokens_are_404_at_both(edge: Edge) -> None:
    w = edge.world
    owner = w.headers(Caller.OWNER)
    mine = await w.client.get(f"/api/v1/videos/{w.videos[Vis.PRIVATE]}", headers=owner)
    urls = media_urls(mine.json())
    secret = w.adapters.secret
    async with httpx.AsyncClient() as http:
        for kind in ("master playlist", "clip", "poster"):
            assert (await http.get(edge.at_edge(urls[kind]))).status_code == 200
            for name, forged in _forgeries(urls[kind], w.videos[Vis.GROUP], secret).items():
                at_edge = await http.get(edge.at_edge(forged))
                embedded = await w.client.get(forged)
                assert (at_edge.status_code, embedded.status_code) == (404, 404), (kind, name)
                assert at_edge.json()["error"]["code"] == "media_not_found"


async def test_ranges_and_conditional_requests_at_the_edge(edge: Edge) -> None:
    url = edge.at_edge(f"http://testserver/cdn/videos/{edge.world.videos[Vis.PUBLIC]}/")
    clip = url + edge.world.paths[Vis.PUBLIC]["clip"]
    async with httpx.AsyncClient() as http:
        full = await http.get(clip)
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert full.headers["content-type"] == "video/iso.segment"
        part = await http.get(clip, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == full.content[10:20]
        again = await http.get(clip, headers={"If-None-Match": full.headers["etag"]})
        assert again.status_code == 304
        playlist = await http.get(url + "master.m3u8")
        assert playlist.headers["cache-control"] == "public, max-age=1"
        assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"
        for bad in ("240p/../../x", "Master.M3U8", "a..b/x.m4s", "240p/.meta/x"):
            assert (await http.get(url + bad)).status_code in (400, 404), bad


async def _settles(http: httpx.AsyncClient, url: str, status: int) -> bool:
    """nginx looks at a gate file once a second at most (GATE_CACHE_SECONDS): the answer
    changes within that, plus a margin for a loaded machine."""
    for _ in range(50):
        if (await http.get(url)).status_code == status:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_becoming_private_and_deletion_close_the_edge_once_the_gate_hears(
    edge: Edge,
) -> None:
    """Last in the module: it changes the world. The gate is refreshed as the edge worker
    does on the event; nothing else (no reload, no cache purge) is needed."""
    w = edge.world
    owner = w.headers(Caller.OWNER)
    video_id = w.videos[Vis.PUBLIC]
    public_url = edge.at_edge(f"http://testserver/cdn/videos/{video_id}/master.m3u8")
    async with httpx.AsyncClient() as http:
        assert (await http.get(public_url)).status_code == 200
        patch = {"visibility": "private"}
        changed = await w.client.patch(f"/api/v1/videos/{video_id}", json=patch, headers=owner)
        assert changed.status_code == 200
        signed = edge.at_edge(changed.json()["playback"]["hls"])
        await edge.refresh_gate()
        assert await _settles(http, public_url, 404)
        assert (await http.get(signed)).status_code == 200
        deleted = await w.client.delete(f"/api/v1/videos/{video_id}", headers=owner)
        assert deleted.status_code == 204
        await edge.refresh_gate()
        assert await _settles(http, signed, 404)
