"""The thumbnailer on a really transcoded video: local storage, SQLite, ffmpeg, the CDN route."""

from __future__ import annotations

import io
import itertools
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from clipcast.adapters.bus.base import Event
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.outbox.models import OutboxEvent
from clipcast.search import handlers as search_handlers
from clipcast.thumbnails.service import make_thumbnails
from clipcast.videos import service as videos
from clipcast.videos.models import Video
from tests.integration.thumbnails.conftest import (
    BLACK_UNTIL,
    BLUR_FROM,
    SECONDS,
    Template,
    auth,
    edge_energy,
    luma,
)

pytestmark = pytest.mark.slow

CUE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")


@pytest.fixture
def database_url(template: Template, tmp_path: Path) -> str:
    """SQLite only, copied from the module's transcoded template (the poster API tests run on
    PostgreSQL as well)."""
    return template.copy_to(tmp_path)


@pytest.fixture
def video_id(template: Template) -> str:
    return template.video_id


@pytest.fixture
def alice(template: Template) -> str:
    return template.alice


async def run(adapters: Adapters, video_id: str, storage: ObjectStorage | None = None) -> None:
    await make_thumbnails(
        sessions=adapters.sessions,
        storage=storage or adapters.storage,
        settings=adapters.settings,
        video_id=uuid.UUID(video_id),
    )


async def thumbnails(client: httpx.AsyncClient, video_id: str, token: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/videos/{video_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["state"] == "ready"
    return dict(body["thumbnails"])


async def image_at(client: httpx.AsyncClient, url: str, content_type: str) -> Image.Image:
    response = await client.get(url)
    assert response.status_code == 200, url
    assert response.headers["content-type"] == content_type
    return Image.open(io.BytesIO(response.content))


async def stored_keys(adapters: Adapters, video_id: str) -> list[str]:
    return await adapters.storage.list_keys(f"videos/{video_id}/thumbs/")


async def test_poster_is_a_sharp_frame_at_card_and_player_sizes(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    poster = (await thumbnails(client, video_id, alice))["poster"]
    assert poster["custom"] is False
    card = await image_at(client, poster["card"]["url"], "image/jpeg")
    player = await image_at(client, poster["player"]["url"], "image/jpeg")
    assert card.size == (poster["card"]["width"], poster["card"]["height"]) == (320, 180)
    # The largest rendition is 640×360: the player size is that, never upscaled to 1280×720.
    assert player.size == (poster["player"]["width"], poster["player"]["height"]) == (640, 360)
    webp = await image_at(client, poster["card"]["webp_url"], "image/webp")
    assert webp.format == "WEBP" and webp.size == card.size
    assert luma(player) > 60, "the poster is (nearly) black"
    blurred = await _storyboard_tile_at(client, video_id, alice, seconds=SECONDS - 1)
    sharp_enough = 2 * edge_energy(blurred)
    assert edge_energy(player) > sharp_enough, "the poster is as soft as the blurred part"
    stored = await _mapping(adapters, video_id)
    assert BLACK_UNTIL < stored["poster"]["at"] < BLUR_FROM


async def _mapping(adapters: Adapters, video_id: str) -> dict[str, Any]:
    async with adapters.sessions() as session:
        video = await session.get(Video, uuid.UUID(video_id))
        assert video is not None
        return dict(video.thumbnails)


async def _storyboard_tile_at(
    client: httpx.AsyncClient, video_id: str, token: str, seconds: float
) -> Image.Image:
    cues = await _cues(client, (await thumbnails(client, video_id, token))["storyboard"]["vtt_url"])
    for start, end, url, box in cues:
        if start <= seconds < end:
            sheet = await image_at(client, url, "image/jpeg")
            x, y, w, h = box
            return sheet.crop((x, y, x + w, y + h))
    raise AssertionError(f"no tile at {seconds} s")


async def _cues(
    client: httpx.AsyncClient, vtt_url: str
) -> list[tuple[float, float, str, tuple[int, int, int, int]]]:
    response = await client.get(vtt_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/vtt")
    lines = response.text.splitlines()
    assert lines[0] == "WEBVTT"
    cues = []
    for timing, target in zip(lines[2::3], lines[3::3], strict=False):
        match = CUE.match(timing)
        assert match, timing
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups())
        name, _, fragment = target.partition("#xywh=")
        box = tuple(int(v) for v in fragment.split(","))
        assert len(box) == 4
        cues.append(
            (
                h1 * 3600 + m1 * 60 + s1 + ms1 / 1000,
                h2 * 3600 + m2 * 60 + s2 + ms2 / 1000,
                str(httpx.URL(vtt_url).join(name)),
                (box[0], box[1], box[2], box[3]),
            )
        )
    return cues


async def test_hover_preview_is_a_small_animated_webp(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    preview = (await thumbnails(client, video_id, alice))["preview"]
    response = await client.get(preview["url"])
    assert response.headers["content-type"] == "image/webp"
    assert len(response.content) < 400_000
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (preview["width"], preview["height"]) == (320, 180)
    assert getattr(image, "is_animated", False)
    # Four one-second snippets at 10 fps (one may be shorter at the end of the video).
    assert 25 <= image.n_frames <= 45
    frames = []
    for n in range(0, image.n_frames, 5):
        image.seek(n)
        frames.append(luma(image))
    assert max(frames) > 60, "the preview shows only black"


async def test_storyboard_cues_cover_the_video_and_name_existing_tiles(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    board = (await thumbnails(client, video_id, alice))["storyboard"]
    cues = await _cues(client, board["vtt_url"])
    assert cues[0][0] == 0
    for (_, end, _, _), (start, _, _, _) in itertools.pairwise(cues):
        assert end == start, "a gap or an overlap between cues"
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert cues[-1][1] == pytest.approx(body["duration"], abs=0.05)
    sheets: dict[str, Image.Image] = {}
    for _, _, url, (x, y, w, h) in cues:
        if url not in sheets:
            sheets[url] = await image_at(client, url, "image/jpeg")
        assert (w, h) == (board["tile_width"], board["tile_height"]) == (160, 90)
        assert x + w <= sheets[url].width and y + h <= sheets[url].height
    first = sheets[cues[0][2]].crop((0, 0, 160, 90))
    assert luma(first) < 20, "the first tile is not the black opening"


async def test_thumbnail_objects_are_cached_for_good_when_public(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    found = await thumbnails(client, video_id, alice)
    for url in (
        found["poster"]["card"]["url"],
        found["preview"]["url"],
        found["storyboard"]["vtt_url"],
    ):
        response = await client.get(url)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_running_twice_leaves_one_set_of_objects(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    first, keys = await _mapping(adapters, video_id), await stored_keys(adapters, video_id)
    await run(adapters, video_id)
    assert await _mapping(adapters, video_id) == first
    assert await stored_keys(adapters, video_id) == keys
    assert set(keys) == _keys_named(first)


def _keys_named(mapping: dict[str, Any]) -> set[str]:
    poster, preview, board = mapping["poster"], mapping["preview"], mapping["storyboard"]
    sizes = [poster[s][t] for s in ("card", "player") for t in ("jpeg", "webp")]
    return {*sizes, preview["key"], board["vtt"], *board["sheets"]}


async def test_a_custom_poster_survives_video_ready_again(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    auto = await _mapping(adapters, video_id)
    picture = io.BytesIO()
    Image.new("RGB", (800, 450), (200, 40, 40)).save(picture, "PNG")
    put = await client.put(
        f"/api/v1/videos/{video_id}/poster", content=picture.getvalue(), headers=auth(alice)
    )
    assert put.status_code == 200, put.text
    await run(adapters, video_id)
    again = await _mapping(adapters, video_id)
    assert again["poster"]["source"] == "custom"
    assert again["poster"]["id"] != auto["poster"]["id"]
    card = await image_at(client, put.json()["thumbnails"]["poster"]["card"]["url"], "image/jpeg")
    assert card.getpixel((10, 10))[0] > 150
    # The automatic poster is gone from storage; only what the mapping names is left.
    assert set(await stored_keys(adapters, video_id)) == _keys_named(again)


class DeletingStorage:
    """Storage that deletes the video (as its owner would) when the thumbnailer first stores."""

    def __init__(self, adapters: Adapters, video_id: str) -> None:
        self._adapters = adapters
        self._inner = adapters.storage
        self._video_id = uuid.UUID(video_id)
        self.deleted = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _delete_once(self) -> None:
        if self.deleted:
            return
        self.deleted = True
        async with self._adapters.sessions() as session:
            video = await session.get(Video, self._video_id)
            assert video is not None
            owner = video.owner_id
        await videos.delete_video(
            sessions=self._adapters.sessions,
            storage=self._inner,
            video_id=self._video_id,
            user_id=owner,
            now=utcnow(),
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._delete_once()
        await self._inner.put_bytes(key, data, content_type)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await self._delete_once()
        await self._inner.put_file(key, path, content_type)


async def test_a_video_deleted_meanwhile_keeps_nothing(adapters: Adapters, video_id: str) -> None:
    storage = DeletingStorage(adapters, video_id)
    await run(adapters, video_id, storage=storage)  # type: ignore[arg-type]
    assert storage.deleted
    assert await adapters.storage.list_keys(f"videos/{video_id}/") == []


async def test_unreadable_clips_leave_the_video_ready_and_unchanged(
    client: httpx.AsyncClient,
    adapters: Adapters,
    video_id: str,
    alice: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = await _mapping(adapters, video_id)
    for key in await adapters.storage.list_keys(f"videos/{video_id}/360p/"):
        if key.endswith(".m4s"):
            await adapters.storage.put_bytes(key, b"\x00not a clip" * 100, "video/iso.segment")
    with caplog.at_level(logging.WARNING, logger="clipcast.thumbnails"):
        await run(adapters, video_id)
    assert "no thumbnails for video" in caplog.text
    assert await _mapping(adapters, video_id) == before
    assert await stored_keys(adapters, video_id) == []
    found = await thumbnails(client, video_id, alice)
    assert found == {"poster": None, "preview": None, "storyboard": None}


async def test_pages_show_the_poster_its_preview_and_a_scrub_bar(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    found = await thumbnails(client, video_id, alice)
    home = await client.get("/")
    assert home.status_code == 200
    assert f'src="{found["poster"]["card"]["url"]}"' in home.text
    assert f'data-preview="{found["preview"]["url"]}"' in home.text
    assert "/static/js/cards.js" in home.text
    watch = await client.get(f"/watch/{video_id}")
    assert f'poster="{found["poster"]["player"]["url"]}"' in watch.text
    assert "data-scrub-track" in watch.text
    policy = watch.headers["content-security-policy"]
    assert "img-src 'self'" in policy and "script-src 'self';" in policy


def _untokened(value: Any) -> Any:
    """Signed URLs differ by their moment of signing; the objects they name must not."""
    return json.loads(re.sub(r"/cdn/s/[^/]+/\d+/\d+/", "/cdn/s/TOKEN/", json.dumps(value)))


async def test_search_results_show_the_poster_once_the_index_follows_the_update(
    client: httpx.AsyncClient, adapters: Adapters, video_id: str, alice: str
) -> None:
    await run(adapters, video_id)
    # The thumbnailer announces the change; the search node applies it like any event.
    async with adapters.sessions() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic == "video.updated")
        )
        updates = [r for r in rows if r.payload["video_id"] == video_id]
    assert updates
    last = updates[-1]
    event = Event(id=last.id, topic=last.topic, payload=last.payload, created_at=last.created_at)
    await search_handlers.handle(event, sessions=adapters.sessions, index=adapters.search)

    found = await thumbnails(client, video_id, alice)
    title = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()["title"]
    results = await client.get("/api/v1/search", params={"q": title}, headers=auth(alice))
    item = next(i for i in results.json()["items"] if i["id"] == video_id)
    assert _untokened(item["thumbnails"]) == _untokened(
        {"poster": found["poster"], "preview": found["preview"]}
    )
    await image_at(client, item["thumbnails"]["poster"]["card"]["url"], "image/jpeg")
    page = await client.get("/search", params={"q": title}, headers=auth(alice))
    assert 'class="thumb-img"' in page.text and "/thumbs/" in page.text
