"""The pages end to end in Chromium: sign up, log in, upload with tus, watch it play with hls.js."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, expect

from tests.e2e.browser.conftest import api_video, log_in, sign_up, watch_errors

pytestmark = pytest.mark.browser

CHUNK = 5 * 1024 * 1024  # upload.js's tus chunkSize
ADVANCED = """t => {
  const v = document.getElementById('player');
  return v.ended || v.currentTime > t + 0.3;
}"""
PLAYING = """() => {
  const v = document.getElementById('player');
  return v && v.currentTime > %s && v.videoWidth > 0 && !v.paused;
}"""


def _video_id_in_url(page: Page) -> str:
    return page.url.rstrip("/").rsplit("/", 1)[-1]


async def test_new_user_uploads_and_watches_the_video_play(
    context: BrowserContext, sample_video: Path, screenshot_dir: Path
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)

    # Sign up (which logs in), log out, then come back through the login redirect.
    await page.goto("/signup")
    await log_in(page, "alice")
    await expect(page.get_by_test_id("username")).to_have_text("alice")
    await page.click("[data-logout]")
    await expect(page.get_by_role("link", name="Log in")).to_be_visible()
    await page.goto("/upload")
    assert page.url.endswith("/login?next=%2Fupload")
    await log_in(page, "alice")
    await page.wait_for_url("**/upload")

    # Upload through the page; the bar reaches 100 % and the page follows the processing.
    title = "Test pattern <b>&</b> 'quotes'"
    await page.set_input_files("input[name=file]", str(sample_video))
    await page.fill("input[name=title]", title)
    await page.fill("textarea[name=description]", "Four seconds of <i>test</i> pattern.")
    await page.click("[data-start]")
    await expect(page.locator("[data-percent]")).to_have_text("100 %")
    assert await page.locator("#upload-progress").evaluate("bar => bar.value") == 100
    await expect(page.locator("[data-bytes]")).to_have_text(re.compile(r"^(\S+ \S+) of \1$"))
    await expect(page.locator("[data-processing-state]")).to_contain_text("Ready", timeout=45_000)

    # My videos lists it, ready.
    await page.goto("/me/videos")
    row = page.locator(".row").first
    await expect(row.locator('[data-field="title"]')).to_have_text(title)
    await expect(row.locator('[data-field="state"]')).to_have_text("Ready")
    await expect(row.locator('[data-field="progress-box"]')).to_be_hidden()
    await page.screenshot(path=screenshot_dir / "my-videos.png")

    # The watch page plays it: time advances, frames have a size, the menu lists renditions.
    await row.locator('[data-field="title"]').click()
    await page.wait_for_url("**/watch/*")
    video_id = _video_id_in_url(page)
    await expect(page.locator(".watch-title")).to_have_text(title)
    await expect(page.locator(".description")).to_have_text("Four seconds of <i>test</i> pattern.")
    await expect(page.locator(".owner")).to_have_text("alice")
    await page.wait_for_function(PLAYING % 1.0, timeout=15_000)
    await page.screenshot(path=screenshot_dir / "watch.png")
    api = await api_video(page, video_id)
    labels = [f"{r['resolution']}p" for r in api["renditions"] if r["resolution"]]
    assert labels == ["240p", "144p"], api["renditions"]
    await page.click("[data-quality-button]")
    items = page.get_by_role("menuitemradio")
    options = await items.all_text_contents()
    assert options[0].startswith("Auto")
    assert options[1:] == labels

    # Picking 144p switches the picture to that rendition, and it keeps playing. The video is
    # four seconds long, so on a busy machine it may have ended by now: play it from the start.
    await items.filter(has_text="144p").click()
    await expect(page.locator("[data-quality-label]")).to_have_text("144p")
    await page.evaluate(
        "() => { const p = document.getElementById('player'); p.currentTime = 0; p.play(); }"
    )
    await page.wait_for_function("() => document.getElementById('player').videoHeight === 144")
    started = await page.evaluate("document.getElementById('player').currentTime")
    await page.wait_for_function(ADVANCED, arg=started)

    # The public home page lists it.
    await page.goto("/")
    await expect(page.locator("[data-testid=video-grid] .card-title")).to_have_text([title])
    assert errors == []


async def test_private_video_is_a_404_for_others_and_plays_for_its_owner(
    browser: Browser, context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "bob")
    await page.goto("/upload")
    await page.set_input_files("input[name=file]", str(sample_video))
    await page.select_option("select[name=visibility]", "private")
    await page.click("[data-start]")
    await expect(page.locator("[data-edit]")).to_have_attribute("href", re.compile("/edit$"))
    await page.click("[data-edit]")
    await page.wait_for_url("**/videos/*/edit")
    video_id = page.url.rsplit("/", 2)[-2]

    # Edit: rename it; my videos and the API say so.
    await page.fill("input[name=title]", "Bob's secret")
    await page.click("[data-edit-form] button[type=submit]")
    await expect(page.locator("[data-status]")).to_have_text("Saved.")
    await page.goto("/me/videos")
    row = page.locator(f'.row[data-video-id="{video_id}"]')
    await expect(row.locator('[data-field="title"]')).to_have_text("Bob's secret")
    await expect(row.locator('[data-field="visibility"]')).to_have_text("private")

    # Someone else (a fresh, anonymous profile) gets the 404 page and no listing.
    other = await browser.new_context(base_url=server_url)
    stranger = await other.new_page()
    response = await stranger.goto(f"/watch/{video_id}")
    assert response is not None
    assert response.status == 404
    await expect(stranger.locator("h1")).to_have_text("Video not found")
    await stranger.goto("/")
    await expect(stranger.locator(".card-title", has_text="secret")).to_have_count(0)
    await other.close()

    # The owner watches it through signed media URLs once it is playable.
    await page.goto(f"/watch/{video_id}")
    await expect(page.locator(".watch-title")).to_have_text("Bob's secret")
    await page.wait_for_function(PLAYING % 0.5, timeout=45_000)
    assert "/cdn/s/" in (await api_video(page, video_id))["playback"]["hls"]
    assert errors == []


async def test_upload_resumes_after_a_reload_and_a_bad_file_shows_why_it_failed(
    context: BrowserContext, tmp_path: Path
) -> None:
    page = await context.new_page()
    await sign_up(page, "carol")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(2 * CHUNK + 1024 * 1024))

    # Cut the connection after the first 5 MiB chunk, as a dropped network would.
    cut = asyncio.Event()
    sent: list[tuple[str, str]] = []

    def record(request: Request) -> None:
        if "/api/v1/uploads" in request.url and request.method in ("POST", "PATCH"):
            sent.append((request.method, request.headers.get("upload-offset", "")))

    async def drop_second_chunk(route: Route) -> None:
        if route.request.method == "PATCH" and route.request.headers.get("upload-offset") != "0":
            cut.set()
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    page.on("request", record)
    await page.route("**/api/v1/uploads/*", drop_second_chunk)
    await page.goto("/upload")
    await page.set_input_files("input[name=file]", str(junk))
    await page.fill("input[name=title]", "Not a video")
    await page.click("[data-start]")
    await asyncio.wait_for(cut.wait(), 15)

    # Meanwhile my videos, in another tab, shows it half uploaded; it updates itself from here on.
    mine = await context.new_page()
    await mine.goto("/me/videos")
    row = mine.locator(".row").first
    await expect(row.locator('[data-field="title"]')).to_have_text("Not a video")
    await expect(row.locator('[data-field="state"]')).to_have_text("Uploading")

    # Reload; the page remembers the unfinished upload, and the same file continues it.
    await page.unroute("**/api/v1/uploads/*", drop_second_chunk)
    await page.reload()
    await expect(page.locator("[data-previous-list] li")).to_contain_text(["Not a video"])
    sent.clear()
    await page.set_input_files("input[name=file]", str(junk))
    await page.click("[data-start]")
    await expect(page.locator("[data-message]")).to_contain_text("Resuming")
    await expect(page.locator("[data-percent]")).to_have_text("100 %")
    assert sent[0] == ("PATCH", str(CHUNK)), sent
    assert all(method == "PATCH" for method, _ in sent), sent

    # The server refuses the noise: without a reload, the other tab says so and why.
    await expect(row.locator('[data-field="state"]')).to_have_text("Failed", timeout=30_000)
    await expect(row.locator('[data-field="failure"]')).not_to_be_empty()
    await expect(row.locator('[data-field="progress-box"]')).to_be_hidden()

    # Deleting it (after the confirm dialog) removes the row and the video.
    video_id = await row.get_attribute("data-video-id")
    mine.once("dialog", lambda dialog: dialog.accept())
    await row.locator("[data-delete]").click()
    await expect(mine.locator(".row")).to_have_count(0)
    gone = await mine.request.get(f"/api/v1/videos/{video_id}")
    assert gone.status == 404
