"""The owner's custom poster over HTTP: who may set it, what becomes of it, who may see it."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image

from tests.integration.thumbnails.conftest import auth, put_poster, video_in_processing
from tests.pictures import jpeg_with_exif


async def test_owner_sets_a_poster_reencoded_without_metadata(
    client: httpx.AsyncClient, alice: str
) -> None:
    video_id = await video_in_processing(client, alice)
    response = await put_poster(client, video_id, jpeg_with_exif((2000, 1000), 6), alice)
    assert response.status_code == 200, response.text
    poster = response.json()["thumbnails"]["poster"]
    assert poster["custom"] is True
    # Rotated as the camera said, then fitted: 1000×2000 → 360×720 and 90×180.
    assert (poster["player"]["width"], poster["player"]["height"]) == (360, 720)
    assert (poster["card"]["width"], poster["card"]["height"]) == (90, 180)
    for url in (poster["player"]["url"], poster["card"]["webp_url"]):
        served = await client.get(url)
        assert served.status_code == 200
        assert b"SecretCam" not in served.content and b"private note" not in served.content
        image = Image.open(io.BytesIO(served.content))
        assert not image.getexif() and "icc_profile" not in image.info
    again = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert again["thumbnails"]["poster"] == poster


async def test_replacing_a_poster_deletes_the_old_one(
    client: httpx.AsyncClient, alice: str
) -> None:
    video_id = await video_in_processing(client, alice)
    first = (await put_poster(client, video_id, jpeg_with_exif((640, 360), 1), alice)).json()
    second = (await put_poster(client, video_id, jpeg_with_exif((640, 360), 1), alice)).json()
    old, new = (b["thumbnails"]["poster"]["card"]["url"] for b in (first, second))
    assert old != new
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200


async def test_only_the_owner_may_set_the_poster(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    video_id = await video_in_processing(client, alice)
    picture = jpeg_with_exif((320, 180), 1)
    by_bob = await put_poster(client, video_id, picture, bob)
    assert by_bob.status_code == 404
    assert by_bob.json()["error"]["code"] == "video_not_found"
    assert (await put_poster(client, video_id, picture, None)).status_code == 401
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert body["thumbnails"]["poster"] is None


async def test_private_video_thumbnails_need_the_token(
    client: httpx.AsyncClient, alice: str, bob: str
) -> None:
    video_id = await video_in_processing(client, alice, visibility="private")
    put = await put_poster(client, video_id, jpeg_with_exif((640, 360), 1), alice)
    assert put.status_code == 200
    url = put.json()["thumbnails"]["poster"]["card"]["url"]
    assert "/cdn/s/" in url
    served = await client.get(url)
    assert served.status_code == 200
    assert served.headers["cache-control"].startswith("private")
    assert (await client.get(re.sub(r"/cdn/s/[^/]+/\d+/\d+/", "/cdn/", url))).status_code == 404
    assert (await client.get(f"/api/v1/videos/{video_id}", headers=auth(bob))).status_code == 404
