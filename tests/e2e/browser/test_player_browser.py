"""The watch page's one control bar (pointer and keys), and the owner's edit page."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from clipcast.videos.lifecycle import Visibility
from tests.e2e.browser.conftest import (
    api_video,
    log_in,
    settled,
    sign_up,
    upload_through_api,
    watch_errors,
)
from tests.media import make_video

pytestmark = pytest.mark.browser

OWNER = "player-owner"
SECONDS = 12  # long enough to seek 5 s either way from the middle
NEAR = "([t, slack]) => Math.abs(document.getElementById('player').currentTime - t) < slack"


@pytest.fixture(scope="module")
def video_id(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A ready public video of OWNER, 12 s at 320x240 (two rungs: 240p and 144p)."""
    source = make_video(
        tmp_path_factory.mktemp("player") / "long.mp4", seconds=SECONDS, size="320x240"
    )

    async def ready() -> str:
        made = await upload_through_api(server_url, OWNER, source.read_bytes(), title="Controls")
        body = await settled(server_url, made)
        assert body["state"] == "ready", body["failure_reason"]
        return made

    return asyncio.run(ready())


async def _player(page: Page, expression: str) -> object:
    """`expression` about the <video> `v`, evaluated in the page."""
    return await page.evaluate(f"(v => {expression})(document.getElementById('player'))")


async def test_one_control_bar_plays_seeks_and_switches_quality(
    context: BrowserContext, video_id: str
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"/watch/{video_id}")
    box = page.locator("[data-player]")

    # One bar, ours: no native controls, one seek slider, every control inside the player
    # and named for assistive technology.
    assert await _player(page, "v.controls || v.hasAttribute('controls')") is False
    await expect(page.get_by_role("slider", name="Seek")).to_have_count(1)
    await expect(box.get_by_role("slider", name="Seek")).to_be_visible()
    controls = box.locator("[data-controls]")
    for name in ("Pause", "Mute", "Volume", "Quality: Auto", "Full screen"):
        await expect(controls.get_by_label(name, exact=False).first).to_be_visible()
    labels = await controls.locator("button, input, [role=slider]").evaluate_all(
        "els => els.filter(e => e.offsetParent).map(e => e.getAttribute('aria-label'))"
    )
    assert labels and all(labels), labels

    # It starts by itself; the button pauses and plays; the time shows where it is.
    await page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v.currentTime > 0.5; }",
        timeout=15_000,
    )
    play = controls.locator("[data-play]")
    await play.click()
    await expect(play).to_have_attribute("aria-label", "Play")
    assert await _player(page, "v.paused") is True
    await play.click()
    await expect(play).to_have_attribute("aria-label", "Pause")
    assert await _player(page, "v.paused") is False

    # Clicking the seek bar's middle goes there; hovering shows the time under the pointer.
    await play.click()
    track = box.locator("[data-scrub-track]")
    area = await track.bounding_box()
    assert area is not None
    await page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    await page.wait_for_function(NEAR, arg=[SECONDS / 2, 0.5])
    # (A rendition's duration may be a frame either side of 12 s.)
    await expect(box.locator("[data-current]")).to_have_text(re.compile(r"^0:0[56]$"))
    await expect(box.locator("[data-duration]")).to_have_text(re.compile(r"^0:1[12]$"))
    await page.mouse.move(area["x"] + area["width"] * 0.75, area["y"] + area["height"] / 2)
    await expect(box.locator("[data-scrub-time]")).to_have_text(re.compile(r"^0:0[89]$"))

    # Quality: the menu inside the player lists Auto and the rungs; 144p switches the picture.
    await controls.locator("[data-quality-button]").click()
    items = page.get_by_role("menuitemradio")
    assert [t.split(" (")[0] for t in await items.all_text_contents()] == ["Auto", "240p", "144p"]
    await items.filter(has_text="144p").click()
    await expect(items.first).to_be_hidden()
    await expect(controls.locator("[data-quality-button]")).to_have_attribute(
        "aria-label", "Quality: 144p"
    )
    await play.click()
    await page.wait_for_function("() => document.getElementById('player').videoHeight === 144")
    assert errors == []


async def test_keyboard_shortcuts_play_seek_change_volume_mute_and_go_full_screen(
    context: BrowserContext, video_id: str
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"/watch/{video_id}")
    await page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v.currentTime > 0.2; }",
        timeout=15_000,
    )
    await page.click("h1.watch-title")  # the focus on the page, not in a field
    play = page.locator("[data-play]")

    # k and space: play/pause.
    await page.keyboard.press("k")
    await expect(play).to_have_attribute("aria-label", "Play")
    await page.keyboard.press(" ")
    await expect(play).to_have_attribute("aria-label", "Pause")
    await page.keyboard.press(" ")
    await expect(play).to_have_attribute("aria-label", "Play")

    # ← and →: 5 s back and forth.
    await page.evaluate("document.getElementById('player').currentTime = 3")
    await page.wait_for_function(NEAR, arg=[3, 0.3])
    await page.keyboard.press("ArrowRight")
    await page.wait_for_function(NEAR, arg=[8, 0.3])
    await page.keyboard.press("ArrowLeft")
    await page.wait_for_function(NEAR, arg=[3, 0.3])

    # ↑ and ↓: volume in steps of 5 %; m: mute, which the button says.
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    assert await _player(page, "v.volume") == pytest.approx(0.9)
    await page.keyboard.press("ArrowUp")
    assert await _player(page, "v.volume") == pytest.approx(0.95)
    await page.keyboard.press("m")
    assert await _player(page, "v.muted") is True
    await expect(page.locator("[data-mute]")).to_have_attribute("aria-label", "Unmute")
    await page.keyboard.press("m")
    assert await _player(page, "v.muted") is False

    # f: the player (with its bar) fills the screen; f again leaves.
    await page.keyboard.press("f")
    await page.wait_for_function(
        "() => document.fullscreenElement === document.querySelector('[data-player]')"
    )
    await expect(page.locator("[data-fullscreen]")).to_have_attribute(
        "aria-label", "Exit full screen"
    )
    await page.keyboard.press("f")
    await page.wait_for_function("() => document.fullscreenElement === null")

    # Typing in a field is typing, not a shortcut.
    await page.fill("form.search-box input", "")
    await page.keyboard.press("m")
    assert await _player(page, "v.muted") is False
    assert errors == []


async def test_the_owner_edits_details_on_the_edit_page(
    browser: Browser, context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    video_id = await upload_through_api(server_url, "editor", sample_video.read_bytes())
    page = await context.new_page()
    errors = watch_errors(page)
    await page.goto(f"/login?next=/watch/{video_id}")
    await log_in(page, "editor")
    await page.wait_for_url(f"**/watch/{video_id}")

    # The watch page links the edit page; nothing to edit sits under the player any more.
    assert await page.locator(".watch form").count() == 0
    await page.click("[data-edit-link]")
    await page.wait_for_url(f"**/videos/{video_id}/edit")
    form = page.locator("[data-edit-form]")
    offered = await form.locator("select[name=visibility] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert offered == [v.value for v in Visibility]

    await form.locator("input[name=title]").fill("Renamed on the edit page")
    await form.locator("textarea[name=description]").fill("Now with a description.")
    await form.locator("input[name=tags]").fill("Cats, #dogs ,  sea otters")
    await form.locator("select[name=visibility]").select_option("unlisted")
    await form.locator("button[type=submit]").click()
    await expect(form.locator("[data-status]")).to_have_text("Saved.")
    await expect(form.locator("input[name=tags]")).to_have_value("cats, dogs, sea otters")
    body = await api_video(page, video_id)
    assert (body["title"], body["description"], body["tags"], body["visibility"]) == (
        "Renamed on the edit page",
        "Now with a description.",
        ["cats", "dogs", "sea otters"],
        "unlisted",
    )

    # The watch page and my videos show it, and my videos links the edit page too.
    await page.goto(f"/watch/{video_id}")
    await expect(page.locator(".watch-title")).to_have_text("Renamed on the edit page")
    await expect(page.locator(".tags .tag")).to_have_text(["#cats", "#dogs", "#sea otters"])
    await page.goto("/me/videos")
    row = page.locator(f'.row[data-video-id="{video_id}"]')
    await expect(row.locator("[data-edit-link]")).to_have_attribute(
        "href", f"/videos/{video_id}/edit"
    )

    # Nobody else edits it: another user gets a 404, a visitor the log-in page.
    other = await browser.new_context(base_url=server_url)
    snoop = await other.new_page()
    await sign_up(snoop, "snoop")
    refused = await snoop.goto(f"/videos/{video_id}/edit")
    assert refused is not None and refused.status == 404
    assert await snoop.locator("[data-edit-form]").count() == 0
    await other.clear_cookies()
    await snoop.goto(f"/videos/{video_id}/edit")
    assert "/login?next=" in snoop.url
    await other.close()
    assert errors == []
