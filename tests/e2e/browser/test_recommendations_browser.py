"""Recommendations in Chromium: a viewer watches a surfing video and the home page then
recommends the other surfing video with its reason; the watch page lists up next; the your-tags
page mutes #surfing and the home page drops it; a visitor sees popular videos."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.browser.conftest import settled, sign_up, upload_through_api, watch_errors

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def videos(server_url: str, sample_video: Path) -> dict[str, str]:
    """Three ready public videos of `r_owner`'s: two about surfing, one about cooking."""

    async def make() -> dict[str, str]:
        source = sample_video.read_bytes()
        made = {}
        for n, (title, tags) in enumerate(
            [
                ("Surfing the reef at dawn", "surfing"),
                ("Surfing big waves", "surfing"),
                ("Cooking fresh pasta", "cooking"),
            ]
        ):
            made[title] = await upload_through_api(
                server_url, "r_owner", source, register=n == 0, title=title, tags=tags
            )
        for video_id in made.values():
            assert (await settled(server_url, video_id))["state"] == "ready"
        return made

    return asyncio.run(make())


async def _personal_home(page: Page) -> None:
    """Reload the home page until the viewer's own list is there (the recs worker remakes it
    a few seconds after their activity)."""
    for _ in range(60):
        await page.goto("/")
        if await page.locator("[data-recs][data-personal=true]").count():
            return
        await asyncio.sleep(0.5)
    raise AssertionError("no personal recommendations on the home page")


async def test_watching_surfing_brings_surfing_with_its_reason_and_muting_removes_it(
    context: BrowserContext, videos: dict[str, str]
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "r_viewer")
    reef = videos["Surfing the reef at dawn"]
    await page.goto(f"/watch/{reef}")
    # Up next on the watch page: the other videos, surfing first (same tag, popular).
    up_next = page.locator("[data-up-next] [data-rec-item]")
    await expect(up_next.first).to_have_attribute("data-video-id", videos["Surfing big waves"])
    await expect(up_next.first.locator("[data-rec-reason]")).to_have_text("Popular in #surfing")
    # Watch it to the end (the player reports each 2-s clip), then leave the page.
    await page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.ended; }",
        timeout=20_000,
    )
    await page.goto("/")

    await _personal_home(page)
    first = page.locator("[data-recs] [data-rec-item]").first
    await expect(first).to_have_attribute("data-video-id", videos["Surfing big waves"])
    # Just uploaded, so "New in #surfing"; a week later "Because you like #surfing".
    reason = first.locator("[data-rec-reason]")
    await expect(reason).to_have_text(re.compile(r"^(New in|Because you like) #surfing$"))
    await expect(page.locator(f"[data-recs] [data-video-id='{reef}']")).to_have_count(0)

    await page.click("[data-your-tags-link]")
    surfing = page.locator("[data-tag=surfing]")
    await expect(surfing).to_have_attribute("data-muted", "false")
    await surfing.locator("[data-mute]").click()
    await expect(page.locator("[data-tag=surfing]")).to_have_attribute("data-muted", "true")
    await page.goto("/")
    for title in ("Surfing the reef at dawn", "Surfing big waves"):
        await expect(page.locator(f"[data-recs] [data-video-id='{videos[title]}']")).to_have_count(
            0
        )
    assert errors == []


async def test_a_visitor_sees_popular_videos(
    context: BrowserContext, videos: dict[str, str]
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto("/")
    recs = page.locator("[data-recs][data-personal=false]")
    await expect(recs.locator(".rec-row-title")).to_have_text("Popular now")
    shown = await recs.locator("[data-rec-item]").evaluate_all(
        "items => items.map(i => i.dataset.videoId)"
    )
    assert set(videos.values()) <= set(shown)
    assert errors == []
