"""Who may see what: metadata, listings, playlists and clips of public and private videos."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from clipcast.bootstrap import Adapters
from tests.integration.api.flow import upload_and_process
from tests.integration.conftest import auth

pytestmark = pytest.mark.slow


@pytest.fixture
async def private_video(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, small_video: Path
) -> str:
    return await upload_and_process(
        client, adapters, alice, small_video, title="Secret", visibility="private"
    )


@pytest.fixture
async def public_video(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, small_video: Path
) -> str:
    return await upload_and_process(
        client, adapters, alice, small_video, title="Open", visibility="public"
    )


def _strip_token(url: str) -> str:
    return re.sub(r"/cdn/s/[^/]+/\d+/\d+/", "/cdn/", url)


async def test_owner_sees_private_video_with_signed_playback(
    client: httpx.AsyncClient, alice: str, private_video: str
) -> None:
    body = (await client.get(f"/api/v1/videos/{private_video}", headers=auth(alice))).json()
    assert body["state"] == "ready"
    master = body["playback"]["hls"]
    assert "/cdn/s/" in master
    response = await client.get(master)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    variant = master.rsplit("/", 1)[0] + "/" + response.text.splitlines()[-1]
    playlist = await client.get(variant)
    assert playlist.status_code == 200
    clip = variant.rsplit("/", 1)[0] + "/000000.m4s"
    clip_response = await client.get(clip)
    assert clip_response.status_code == 200
    assert clip_response.headers["cache-control"].startswith("private")


async def test_private_video_is_invisible_to_others_and_anonymous(
    client: httpx.AsyncClient, alice: str, bob: str, private_video: str
) -> None:
    for headers in (auth(bob), {}):
        assert (
            await client.get(f"/api/v1/videos/{private_video}", headers=headers)
        ).status_code == 404
        assert (
            await client.get(
                f"/api/v1/videos/{private_video}/clips", params={"resolution": 240}, headers=headers
            )
        ).status_code == 404
        listing = (await client.get("/api/v1/videos", headers=headers)).json()
        assert private_video not in [v["id"] for v in listing["items"]]
    assert (await client.get("/api/v1/videos", params={"mine": "true"}, headers=auth(bob))).json()[
        "total"
    ] == 0
    mine = (await client.get("/api/v1/videos", params={"mine": "true"}, headers=auth(alice))).json()
    assert [v["id"] for v in mine["items"]] == [private_video]


async def test_private_media_without_a_token_is_refused(
    client: httpx.AsyncClient, alice: str, private_video: str
) -> None:
    master = (await client.get(f"/api/v1/videos/{private_video}", headers=auth(alice))).json()[
        "playback"
    ]["hls"]
    unsigned = _strip_token(master)
    for path in ("master.m3u8", "240p/index.m3u8", "240p/init.mp4", "240p/000000.m4s"):
        url = unsigned.rsplit("/", 1)[0] + "/" + path
        assert (await client.get(url)).status_code in (403, 404), url


async def test_a_token_for_one_video_does_not_open_another(
    client: httpx.AsyncClient, alice: str, private_video: str, public_video: str, adapters: Adapters
) -> None:
    master = (await client.get(f"/api/v1/videos/{private_video}", headers=auth(alice))).json()[
        "playback"
    ]["hls"]
    forged = master.replace(private_video, public_video)
    assert (await client.get(forged)).status_code == 404
    garbage = re.sub(r"/cdn/s/[^/]+/", "/cdn/s/AAAAAAAAAAAAAAAAAAAAAA/", master)
    assert (await client.get(garbage)).status_code == 404


async def test_public_video_plays_without_token_and_is_cacheable(
    client: httpx.AsyncClient, public_video: str
) -> None:
    body = (await client.get(f"/api/v1/videos/{public_video}")).json()
    master = body["playback"]["hls"]
    assert "/cdn/s/" not in master
    response = await client.get(master)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    clip = await client.get(master.rsplit("/", 1)[0] + "/240p/000000.m4s")
    assert clip.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert clip.headers["content-type"] == "video/iso.segment"
    listing = (await client.get("/api/v1/videos")).json()
    assert [v["id"] for v in listing["items"]] == [public_video]


async def test_cdn_etag_and_byte_ranges(client: httpx.AsyncClient, public_video: str) -> None:
    url = f"/cdn/videos/{public_video}/240p/000000.m4s"
    full = await client.get(url)
    etag = full.headers["etag"]
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304
    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == full.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(full.content)}"
    assert (
        await client.get(url, headers={"Range": f"bytes={len(full.content)}-"})
    ).status_code == 416
    head = await client.head(url)
    assert head.headers["content-length"] == str(len(full.content))


async def test_cdn_refuses_paths_outside_the_video(
    client: httpx.AsyncClient, public_video: str
) -> None:
    for path in (
        "../../sources/x/source",
        "..%2F..%2Fsecret.key",
        "240p/../../other",
        "Master.M3U8",
    ):
        response = await client.get(f"/cdn/videos/{public_video}/{path}", follow_redirects=True)
        assert response.status_code in (404, 422), path
        assert "error" in response.json()


async def test_becoming_private_closes_the_public_url(
    client: httpx.AsyncClient, alice: str, public_video: str
) -> None:
    url = f"/cdn/videos/{public_video}/master.m3u8"
    assert (await client.get(url)).status_code == 200
    patched = await client.patch(
        f"/api/v1/videos/{public_video}", json={"visibility": "private"}, headers=auth(alice)
    )
    assert patched.status_code == 200
    assert (await client.get(url)).status_code == 404


async def test_only_the_owner_edits_and_deletes(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, bob: str, public_video: str
) -> None:
    assert (
        await client.patch(
            f"/api/v1/videos/{public_video}", json={"title": "Mine now"}, headers=auth(bob)
        )
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/videos/{public_video}", headers=auth(bob))
    ).status_code == 404
    assert (
        await client.patch(f"/api/v1/videos/{public_video}", json={"title": "x"})
    ).status_code == 401
    edited = await client.patch(
        f"/api/v1/videos/{public_video}",
        json={"title": "Renamed", "description": "New words"},
        headers=auth(alice),
    )
    assert (edited.json()["title"], edited.json()["description"]) == ("Renamed", "New words")
    assert await adapters.storage.list_keys(f"videos/{public_video}/")
    assert (
        await client.delete(f"/api/v1/videos/{public_video}", headers=auth(alice))
    ).status_code == 204
    assert (await client.get(f"/api/v1/videos/{public_video}")).status_code == 404
    assert (await client.get(f"/cdn/videos/{public_video}/master.m3u8")).status_code == 404
    assert await adapters.storage.list_keys(f"videos/{public_video}/") == []
    assert await adapters.storage.list_keys(f"sources/{public_video}/") == []


async def test_invalid_patch_is_a_clear_error(
    client: httpx.AsyncClient, alice: str, public_video: str
) -> None:
    response = await client.patch(
        f"/api/v1/videos/{public_video}", json={"visibility": "everyone"}, headers=auth(alice)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_clip_chain_walks_forward_with_urls(
    client: httpx.AsyncClient, public_video: str
) -> None:
    first = (
        await client.get(
            f"/api/v1/videos/{public_video}/clips", params={"resolution": 240, "limit": 1}
        )
    ).json()
    assert first["total_clips"] == 2
    clip = first["clips"][0]
    assert clip["index"] == 0 and clip["offset"] == 0
    assert [n["index"] for n in clip["next"]] == [1]
    assert first["next_start"] == 1
    following = await client.get(clip["next"][0]["url"])
    assert following.status_code == 200
    missing = await client.get(f"/api/v1/videos/{public_video}/clips", params={"resolution": 1080})
    assert missing.status_code == 404
    assert (
        await client.get(f"/api/v1/videos/{uuid.uuid4()}/clips", params={"resolution": 240})
    ).status_code == 404
