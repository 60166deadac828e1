"""Page layout and forms: the phone header, failed tiles, input limits, styled buttons."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, expect

from tests.e2e.browser.conftest import (
    PHONE,
    api_video,
    log_in,
    settled,
    sign_up,
    upload_through_api,
    watch_errors,
)

pytestmark = pytest.mark.browser

HEADER_MAX_PX = 64


async def _header_height(page: Page) -> float:
    box = await page.locator("header.topbar").bounding_box()
    assert box is not None
    return box["height"]


async def test_on_a_phone_the_header_is_one_row_and_its_menu_opens(
    browser: Browser, server_url: str, screenshot_dir: Path
) -> None:
    context = await browser.new_context(base_url=server_url, viewport=PHONE)
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "phone-user")
    menu = page.locator("#site-menu")
    mine = menu.get_by_role("link", name="My videos", exact=True)
    for path in ("/", "/upload", "/me/videos", "/search?q=anything"):
        await page.goto(path)
        assert await _header_height(page) <= HEADER_MAX_PX, path
        await expect(page.locator("header form.search-box input")).to_be_visible()
        await expect(mine).to_be_hidden()

    # The menu button opens the links and the account; Escape closes it; a link goes.
    await page.goto("/")
    toggle = page.locator("[data-menu-toggle]")
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(mine).to_be_visible()
    await expect(menu.get_by_test_id("username")).to_have_text("phone-user")
    await expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    assert await _header_height(page) <= HEADER_MAX_PX, "the menu overlays the page"
    await page.screenshot(path=screenshot_dir / "phone-menu.png")
    await page.keyboard.press("Escape")
    await expect(mine).to_be_hidden()
    await toggle.click()
    await mine.click()
    await page.wait_for_url("**/me/videos")
    await expect(mine).to_be_hidden()
    assert errors == []
    await context.close()


async def test_a_failed_video_tile_says_processing_failed_and_why(
    context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    whole = sample_video.read_bytes()
    truncated = whole[: len(whole) * 4 // 10]  # the MP4's index (moov) is at its end
    video_id = await upload_through_api(server_url, "failer", truncated, title="Cut short")
    body = await settled(server_url, video_id)
    assert body["state"] == "failed"
    page = await context.new_page()
    await page.goto("/login?next=/me/videos")
    await log_in(page, "failer")
    await page.wait_for_url("**/me/videos")

    row = page.locator(f'.row[data-video-id="{video_id}"]')
    await expect(row.locator(".thumb")).to_contain_text("Processing failed")
    await expect(row.locator('[data-field="state"]')).to_have_text("Failed")
    await expect(row.locator('[data-field="failure"]')).to_have_text(body["failure_reason"])
    assert "truncated or damaged" in body["failure_reason"]
    await expect(row.locator('[data-field="progress-box"]')).to_be_hidden()


async def test_inputs_over_a_limit_say_so_instead_of_being_cut(
    context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    video_id = await upload_through_api(server_url, "limits", sample_video.read_bytes())
    page = await context.new_page()
    await page.goto(f"/login?next=/videos/{video_id}/edit")
    await log_in(page, "limits")
    await page.wait_for_url(f"**/videos/{video_id}/edit")
    patches: list[Request] = []
    page.on("request", lambda r: patches.append(r) if r.method == "PATCH" else None)
    form = page.locator("[data-edit-form]")
    title = form.locator("input[name=title]")

    # 205 characters stay 205 (not cut to 200); the form counts them and says what is wrong.
    await title.fill("x" * 205)
    assert len(await title.input_value()) == 205
    await expect(form.locator('[data-limit-counter="title"]')).to_have_text("205 / 200")
    error = form.locator('[data-limit-error="title"]')
    await expect(error).to_have_text(
        "The title is 5 characters too long: at most 200, this is 205."
    )
    await expect(title).to_have_attribute("aria-invalid", "true")
    await form.locator("button[type=submit]").click()
    await asyncio.sleep(0.3)  # time for a PATCH that must not be sent
    assert patches == []
    await expect(form.locator("[data-status]")).not_to_have_text("Saved.")

    # Description and tags have their limits too.
    await form.locator("textarea[name=description]").fill("d" * 10_001)
    await expect(form.locator('[data-limit-error="description"]')).to_contain_text(
        "1 character too long"
    )
    await form.locator("textarea[name=description]").fill("fine")
    tags = form.locator("input[name=tags]")
    await tags.fill(", ".join(f"tag{i}" for i in range(21)))
    await expect(form.locator('[data-limit-error="tags"]')).to_have_text(
        "21 tags: a video has at most 20."
    )
    await tags.fill("t" * 41)
    await expect(form.locator('[data-limit-error="tags"]')).to_contain_text("at most 40")

    # Within the limits it saves; what only the API checks comes back as its message.
    await title.fill("y" * 200)
    await tags.fill("no!pe")
    await expect(form.locator('[data-limit-error="title"]')).to_be_hidden()
    await form.locator("button[type=submit]").click()
    await expect(form.locator("[data-error]")).to_contain_text("Not saved: A tag is 1–40 letters")
    assert (await api_video(page, video_id))["title"] != "y" * 200
    await tags.fill("fine")
    await form.locator("button[type=submit]").click()
    await expect(form.locator("[data-status]")).to_have_text("Saved.")
    assert (await api_video(page, video_id))["title"] == "y" * 200

    # The upload page stops a long title before sending anything.
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if "/api/v1/uploads" in r.url else None)
    await page.goto("/upload")
    await page.set_input_files("input[name=file]", str(sample_video))
    await page.fill("input[name=title]", "z" * 201)
    await page.click("[data-start]")
    await expect(page.locator('[data-limit-error="title"]')).to_contain_text("1 character too long")
    await asyncio.sleep(0.3)
    assert posts == []
    assert len(await page.locator("input[name=title]").input_value()) == 201


# Every button (and a file input's own button) is ours: the page's font and a pointer, not the
# browser's grey default (13.33px system font, arrow cursor).
UNSTYLED = """() => {
  const font = getComputedStyle(document.body).fontFamily;
  const bad = [];
  const check = (el, style, what) => {
    if (style.fontFamily !== font || style.cursor !== "pointer") {
      bad.push(`${what}: ${style.fontFamily} / ${style.cursor}`);
    }
  };
  for (const el of document.querySelectorAll("button, .button, input[type=file]")) {
    if (!el.getClientRects().length) continue;
    const what = `${el.tagName} ${el.className} ${(el.textContent || el.name).trim()}`;
    if (el.matches("input[type=file]")) {
      check(el, getComputedStyle(el, "::file-selector-button"), what + " ::file-selector-button");
    } else {
      check(el, getComputedStyle(el), what);
    }
  }
  return bad;
}"""


async def test_every_button_on_every_page_is_styled(
    context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    video_id = await upload_through_api(server_url, "styled", sample_video.read_bytes())
    assert (await settled(server_url, video_id))["state"] == "ready"
    page = await context.new_page()
    checked: dict[str, list[str]] = {}
    for path in ("/", "/login", "/signup", "/search?q=pattern", f"/watch/{video_id}"):
        await page.goto(path)
        checked[path] = await page.evaluate(UNSTYLED)
    await page.goto("/login")
    await log_in(page, "styled")
    await page.wait_for_url("**/")
    for path in (
        "/upload",
        "/me/videos",
        f"/watch/{video_id}",
        f"/videos/{video_id}/edit",
        "/watch/00000000-0000-0000-0000-000000000000",
    ):
        await page.goto(path)
        checked[path] = await page.evaluate(UNSTYLED)
    assert {path: bad for path, bad in checked.items() if bad} == {}
    # The player's quality menu, once open.
    await page.goto(f"/watch/{video_id}")
    await page.click("[data-quality-button]")
    await expect(page.get_by_role("menuitemradio").first).to_be_visible()
    assert await page.evaluate(UNSTYLED) == []
