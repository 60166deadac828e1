"""Thumbnails in Chromium: the card poster and its hover preview, the player poster, scrub tiles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, expect

from clipcast.bootstrap import build_adapters
from clipcast.settings import Settings
from clipcast.thumbnails.service import make_thumbnails
from tests.e2e.browser.conftest import (
    PASSWORD,
    VIEWPORT,
    settled,
    upload_through_api,
    watch_errors,
)
from tests.e2e.server import running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`clipcast serve` with one rung, and its data directory (the test makes thumbnails in
    it directly, as a thumbnails worker sharing its database and storage would)."""
    data_dir = tmp_path_factory.mktemp("thumbs-server") / "data"
    with running_server(data_dir, env={"CLIPCAST_LADDER": "[240]"}) as url:
        yield url, data_dir


async def _ready_video(url: str, source: Path, username: str = "thumbs") -> str:
    video_id = await upload_through_api(url, username, source.read_bytes(), title="Hover me")
    body = await settled(url, video_id)
    assert body["state"] == "ready", body["failure_reason"]
    return video_id


async def _thumbnail(data_dir: Path, video_id: str) -> None:
    adapters = build_adapters(Settings(data_dir=data_dir))
    try:
        await make_thumbnails(
            sessions=adapters.sessions,
            storage=adapters.storage,
            settings=adapters.settings,
            video_id=uuid.UUID(video_id),
        )
    finally:
        await adapters.close()


async def test_posters_hover_previews_and_scrub_tiles_show(
    browser: Browser, server: tuple[str, Path], sample_video: Path, screenshot_dir: Path
) -> None:
    url, data_dir = server
    video_id = await _ready_video(url, sample_video)
    await _thumbnail(data_dir, video_id)
    context = await browser.new_context(base_url=url, viewport=VIEWPORT)
    page = await context.new_page()
    errors = watch_errors(page)

    await page.goto("/")
    # The grid's card: the video may also be in "Popular now" above it, once views count.
    card = page.locator(f'[data-testid=video-grid] a[href="/watch/{video_id}"] .thumb')
    poster = card.locator("img.thumb-img")
    await expect(poster).to_be_visible()
    assert await poster.evaluate("img => img.complete && img.naturalWidth > 0")
    await card.hover()
    await expect(card.locator("img.thumb-preview.is-playing")).to_be_visible()

    await page.goto(f"/watch/{video_id}")
    assert "/thumbs/" in (await page.get_attribute("#player", "poster") or "")
    # The seek bar is the player's own, inside it; hovering it shows the storyboard's tile.
    track = page.locator("[data-player] [data-scrub-track]")
    await expect(track).to_be_visible()
    await expect(page.locator("[data-scrub]")).to_have_attribute("data-storyboard", "1")
    box = await track.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    tile = page.locator("[data-scrub-tile]")
    await expect(tile).to_be_visible()
    assert "sheet-0.jpg" in await tile.evaluate("t => t.style.backgroundImage")
    await page.screenshot(path=str(screenshot_dir / "scrub-preview.png"))
    assert errors == []
    await context.close()


async def test_the_owner_sets_a_custom_poster_from_the_edit_page(
    browser: Browser, server: tuple[str, Path], sample_video: Path, tmp_path: Path
) -> None:
    url, _data_dir = server
    video_id = await _ready_video(url, sample_video, username="poster-owner")
    picture = tmp_path / "poster.png"
    Image.new("RGB", (640, 360), (200, 40, 90)).save(picture)
    fake = tmp_path / "not-a-picture.png"
    fake.write_text("<svg onload=alert(1)>")

    # Visitors get no form and no edit page.
    visitor = await browser.new_context(base_url=url, viewport=VIEWPORT)
    page = await visitor.new_page()
    await page.goto(f"/watch/{video_id}")
    await expect(page.locator("h1.watch-title")).to_be_visible()
    assert await page.locator("[data-poster-form], [data-edit-link]").count() == 0
    await visitor.close()

    context = await browser.new_context(base_url=url, viewport=VIEWPORT)
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"/login?next=/watch/{video_id}")
    await page.fill("input[name=username]", "poster-owner")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[data-auth] button[type=submit]")
    await page.wait_for_url(f"**/watch/{video_id}")
    # The form is not under the player any more: the owner's edit page has it.
    assert await page.locator("[data-poster-form]").count() == 0
    before = await page.get_attribute("#player", "poster")
    await page.click("[data-edit-link]")
    await page.wait_for_url(f"**/videos/{video_id}/edit")
    preview = page.locator("[data-poster-preview]")
    shown_before = await preview.get_attribute("src")

    await page.set_input_files("[data-poster-file]", str(fake))
    await page.click("[data-poster-form] button[type=submit]")
    status = page.locator("[data-poster-status]")
    await expect(status).to_contain_text("The poster was not changed")
    assert await preview.get_attribute("src") == shown_before
    # The refusal itself: a 422 response, which Chromium also logs to the console.
    errors[:] = [e for e in errors if "/poster" not in e and "status of 422" not in e]

    await page.set_input_files("[data-poster-file]", str(picture))
    await page.click("[data-poster-form] button[type=submit]")
    await expect(status).to_have_text("Poster updated.")
    card = await preview.get_attribute("src") or ""
    assert "/thumbs/" in card and card != shown_before
    shown = await page.request.get(card)
    assert shown.ok and shown.headers["content-type"] == "image/jpeg"
    # The video's metadata says the same to everyone, and the player shows the new poster.
    async with httpx.AsyncClient(base_url=url) as http:
        body = (await http.get(f"/api/v1/videos/{video_id}")).json()
    assert body["thumbnails"]["poster"]["card"]["url"] == card
    after = body["thumbnails"]["poster"]["player"]["url"]
    assert after != before
    await page.goto(f"/watch/{video_id}")
    assert await page.get_attribute("#player", "poster") == after
    assert errors == []
    await context.close()
