"""The studio page in Chromium: a viewer watches, and the owner's studio shows the views
counted, the watch time and the retention curve per 2-s clip as charts (uPlot) with the same
numbers in their tables; for anyone else the page and the API are a 404."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser.conftest import (
    VIEWPORT,
    log_in,
    settled,
    sign_up,
    upload_through_api,
    watch_errors,
)
from tests.media import make_video

pytestmark = pytest.mark.browser

PLAYER = "document.getElementById('player')"
CLIPS = 5  # a 10-s video in 2-s clips


@pytest.fixture(scope="module")
def video_id(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ready public 10-s video of `s_owner`'s."""
    source = make_video(
        tmp_path_factory.mktemp("studio") / "ten.mp4", seconds=10, size="320x240", fps=10
    )

    async def make() -> str:
        made = await upload_through_api(server_url, "s_owner", source.read_bytes(), title="Numbers")
        assert (await settled(server_url, made))["state"] == "ready"
        return made

    return asyncio.run(make())


@pytest.fixture
async def second(browser: Browser, server_url: str) -> AsyncIterator[BrowserContext]:
    """Another profile with cookies of its own."""
    made = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
    made.set_default_timeout(10_000)
    yield made
    await made.close()


async def _watch_to_the_end(page: Page, video_id: str) -> None:
    await page.goto(f"/watch/{video_id}")
    await page.wait_for_function(f"() => {PLAYER}.readyState >= 1")
    await page.evaluate(f"{PLAYER}.playbackRate = 2")
    await page.wait_for_function(f"() => {PLAYER}.ended", timeout=30_000)
    await page.goto("/")  # leaving sends the page's last batch (sendBeacon)


async def _studio_when(page: Page, video_id: str, views: int) -> None:
    """The studio, reloaded until the bus has carried the viewer's watch into the counts."""
    await page.goto(f"/videos/{video_id}/studio")
    stat = page.locator("[data-stat=views]")
    for _ in range(60):
        await expect(page.locator("[data-studio]")).to_have_attribute("data-loaded", "true")
        if await stat.get_attribute("data-value") == str(views):
            return
        await asyncio.sleep(0.25)
        await page.reload()
    await expect(stat).to_have_attribute("data-value", str(views))


async def test_the_owner_sees_views_and_retention_drawn(
    context: BrowserContext, second: BrowserContext, video_id: str, screenshot_dir: Path
) -> None:
    # A viewer watches all of it (at double speed: it is the clips reached that count).
    viewer = await second.new_page()
    viewer_errors = watch_errors(viewer)
    await sign_up(viewer, "s_viewer")
    await _watch_to_the_end(viewer, video_id)
    assert viewer_errors == []

    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto("/login")
    await log_in(page, "s_owner")
    await page.wait_for_url("**/")
    # From "my videos" to the studio.
    await page.goto("/me/videos")
    await page.locator(f'[data-video-id="{video_id}"] [data-studio-link]').click()
    await page.wait_for_url(f"**/videos/{video_id}/studio")
    await _studio_when(page, video_id, views=1)

    await expect(page.locator("[data-studio-title]")).to_have_text("Numbers")
    watch = float(await page.locator("[data-stat=watch]").get_attribute("data-value") or 0)
    assert watch == 10.0  # every clip reached, each counted for its length
    await expect(page.locator("[data-stat=watch]")).to_have_text("0:10")
    await expect(page.locator("[data-stat=average]")).to_have_text("0:10")
    await expect(page.locator("[data-stat=likes]")).to_have_text("0")

    # The retention curve: the one viewer reached every clip; drawn, and in its table.
    retention = page.locator("[data-chart=retention]")
    await expect(retention).to_have_attribute("data-ready", "true")
    assert json.loads(await retention.get_attribute("data-points") or "[]") == [1] * CLIPS
    await expect(retention.locator("canvas")).to_have_count(1)
    await expect(retention.locator(".u-axis")).to_have_count(2)
    rows = page.locator("[data-table=retention] tbody tr")
    await expect(rows).to_have_count(CLIPS)
    await expect(rows.nth(0)).to_have_text(re.compile(r"^0:00\s*1\s*100 %$"))
    await expect(rows.nth(4)).to_have_text(re.compile(r"^0:08\s*1\s*100 %$"))

    # Views over time: a fresh video opens on hours; the view is in the current hour.
    views = page.locator("[data-chart=views]")
    await expect(views).to_have_attribute("data-bucket", "hour")
    await expect(views).to_have_attribute("data-total", "1")
    await expect(views.locator("canvas")).to_have_count(1)
    await expect(page.locator("[data-table=views] tbody tr")).to_have_count(48)
    await page.screenshot(path=str(screenshot_dir / "studio.png"), full_page=True)
    await page.click("[data-bucket=day]")
    await expect(views).to_have_attribute("data-bucket", "day")
    await expect(views).to_have_attribute("data-total", "1")
    await expect(page.locator("[data-table=views] tbody tr")).to_have_count(30)
    await expect(page.locator("[data-table=views] tbody tr").first).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d\s*1$")
    )

    # The owner's own like counts in the studio at once (their own writes).
    await page.goto(f"/watch/{video_id}")
    async with page.expect_response(
        lambda r: r.url.endswith("/api/v1/activity") and '"like"' in (r.request.post_data or "")
    ):
        await page.click("[data-reactions] [data-react=like]")
    await page.click("[data-studio-link]")
    await page.wait_for_url(f"**/videos/{video_id}/studio")
    await expect(page.locator("[data-stat=likes]")).to_have_text("1")
    # The studio is linked from the edit page too.
    await page.goto(f"/videos/{video_id}/edit")
    await expect(page.locator("[data-studio-link]")).to_have_attribute(
        "href", f"/videos/{video_id}/studio"
    )
    assert errors == []


async def test_the_studio_is_a_404_for_everyone_else(
    context: BrowserContext, video_id: str
) -> None:
    page = await context.new_page()
    # Signed out: the page asks to log in, the API says there is no such video.
    response = await page.goto(f"/videos/{video_id}/studio")
    assert response is not None
    await page.wait_for_url(re.compile(r"/login\?next="))
    api = await page.request.get(f"/api/v1/videos/{video_id}/analytics")
    assert api.status == 404
    # Another user can watch the video, but its studio and analytics are not theirs.
    await sign_up(page, "s_stranger")
    assert (await page.goto(f"/watch/{video_id}")) is not None
    await expect(page.locator("[data-studio-link]")).to_have_count(0)
    response = await page.goto(f"/videos/{video_id}/studio")
    assert response is not None and response.status == 404
    api = await page.request.get(f"/api/v1/videos/{video_id}/analytics")
    assert api.status == 404
    assert (await api.json())["error"]["code"] == "video_not_found"
