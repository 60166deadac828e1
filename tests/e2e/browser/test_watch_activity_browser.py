"""What a viewer does on the watch page, in Chromium: like and dislike with counts shown at
once and after a reload, watching puts the video in the history with its progress, the history
removes one and clears all, and reopening a video resumes near where the viewer left."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Response, expect

from tests.e2e.browser.conftest import (
    VIEWPORT,
    settled,
    sign_up,
    upload_through_api,
    watch_errors,
)
from tests.media import make_video

pytestmark = pytest.mark.browser

PLAYER = "document.getElementById('player')"


@pytest.fixture(scope="module")
def videos(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two ready public videos of `w_owner`'s: 12 s (six clips) and 4 s (two)."""
    media = tmp_path_factory.mktemp("watch-activity")
    long = make_video(media / "long.mp4", seconds=12, size="320x240", fps=10)
    short = make_video(media / "short.mp4", seconds=4, size="320x240", fps=10)

    async def make() -> dict[str, str]:
        made = {
            "long": await upload_through_api(
                server_url, "w_owner", long.read_bytes(), title="The long one"
            ),
            "short": await upload_through_api(
                server_url, "w_owner", short.read_bytes(), register=False, title="The short one"
            ),
        }
        for video_id in made.values():
            assert (await settled(server_url, video_id))["state"] == "ready"
        return made

    return asyncio.run(make())


@pytest.fixture
async def stranger(browser: Browser, server_url: str) -> AsyncIterator[BrowserContext]:
    """A second profile, signed out."""
    made = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
    made.set_default_timeout(10_000)
    yield made
    await made.close()


def _posted(kind: str) -> Callable[[Response], bool]:
    """An accepted activity batch carrying an event of this type."""

    def match(response: Response) -> bool:
        request = response.request
        return (
            request.method == "POST"
            and request.url.endswith("/api/v1/activity")
            and f'"type":"{kind}"' in (request.post_data or "")
            and response.status == 202
        )

    return match


async def _counts(page: Page) -> tuple[str, str]:
    box = page.locator("[data-reactions]")
    await expect(box).to_have_attribute("data-loaded", "true")
    like = await box.locator("[data-react=like] [data-count]").text_content()
    dislike = await box.locator("[data-react=dislike] [data-count]").text_content()
    return like or "", dislike or ""


async def _press(page: Page, which: str, sent: str) -> None:
    """Press like or dislike and wait until the API has taken the event."""
    async with page.expect_response(_posted(sent)):
        await page.click(f"[data-reactions] [data-react={which}]")


async def test_likes_show_at_once_and_after_a_reload(
    context: BrowserContext, stranger: BrowserContext, videos: dict[str, str], screenshot_dir: Path
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "w_fan")
    await page.goto(f"/watch/{videos['short']}")
    like = page.locator("[data-reactions] [data-react=like]")
    dislike = page.locator("[data-reactions] [data-react=dislike]")
    assert await _counts(page) == ("0", "0")

    await _press(page, "like", "like")
    await expect(like).to_have_attribute("aria-pressed", "true")
    assert await _counts(page) == ("1", "0")
    await page.reload()
    assert await _counts(page) == ("1", "0")
    await expect(like).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("[data-reactions] [data-views]")).to_have_text(re.compile(r"views?$"))
    await page.screenshot(path=str(screenshot_dir / "watch-likes.png"))

    # Set-state: dislike replaces the like; pressing dislike again clears it.
    await _press(page, "dislike", "dislike")
    assert await _counts(page) == ("0", "1")
    await expect(dislike).to_have_attribute("aria-pressed", "true")
    await expect(like).to_have_attribute("aria-pressed", "false")
    await page.reload()
    assert await _counts(page) == ("0", "1")
    await _press(page, "dislike", "clear")
    assert await _counts(page) == ("0", "0")
    await page.reload()
    assert await _counts(page) == ("0", "0")
    await _press(page, "like", "like")

    # Someone else sees the like once the bus has carried it, and may not like anonymously.
    anonymous = await stranger.new_page()
    await anonymous.goto(f"/watch/{videos['short']}")
    for _ in range(40):
        if await _counts(anonymous) == ("1", "0"):
            break
        await asyncio.sleep(0.25)
        await anonymous.reload()
    assert await _counts(anonymous) == ("1", "0")
    await expect(anonymous.locator("[data-reactions] [data-react=like]")).to_be_disabled()
    assert errors == []


async def _play_until(page: Page, seconds: float) -> None:
    await page.wait_for_function(f"() => {PLAYER}.currentTime >= {seconds}", timeout=30_000)


async def test_history_lists_what_was_watched_and_the_video_resumes(
    context: BrowserContext, videos: dict[str, str], screenshot_dir: Path
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "w_watcher")

    # Half of the long one, then leave: the page's last batch goes by sendBeacon.
    await page.goto(f"/watch/{videos['long']}")
    await _play_until(page, 6.5)
    await page.evaluate(f"{PLAYER}.pause()")
    left_at = await page.evaluate(f"{PLAYER}.currentTime")
    await page.goto(f"/watch/{videos['short']}")
    # All of the short one.
    await page.wait_for_function(f"() => {PLAYER}.ended", timeout=30_000)
    await page.click("nav >> text=History")
    await page.wait_for_url("**/me/history")

    # The page's last batch left by sendBeacon as it closed: here as soon as the API has it.
    rows = page.locator("[data-history-list] > li")
    for _ in range(40):
        if await rows.count() == 2:
            break
        await asyncio.sleep(0.25)
        await page.reload()
    await expect(rows).to_have_count(2)
    # Last watched first; each with how far the viewer got.
    await expect(rows.nth(0).locator("[data-field=title]")).to_have_text("The short one")
    await expect(rows.nth(1).locator("[data-field=title]")).to_have_text("The long one")
    short_done = int(await rows.nth(0).locator("[data-field=progress]").get_attribute("value") or 0)
    long_done = int(await rows.nth(1).locator("[data-field=progress]").get_attribute("value") or 0)
    assert short_done >= 50, short_done
    assert 40 <= long_done <= 75, long_done
    await expect(rows.nth(1).locator("[data-field=position]")).to_have_text(
        re.compile(r"^left at 0:0[5-8]$")
    )
    await page.screenshot(path=str(screenshot_dir / "history.png"), full_page=True)

    # Reopening the long one starts near where it was left.
    await page.click("[data-history-list] >> text=The long one")
    await page.wait_for_url(f"**/watch/{videos['long']}")
    await page.wait_for_function(f"() => {PLAYER}.currentTime >= 4.5", timeout=15_000)
    resumed = await page.evaluate(f"{PLAYER}.currentTime")
    assert left_at - 1.5 <= resumed <= left_at + 3.0, (left_at, resumed)
    await page.evaluate(f"{PLAYER}.pause()")

    # Remove one (gone after a reload too), then clear all (a second press confirms).
    await page.goto("/me/history")
    await expect(rows).to_have_count(2)
    await rows.filter(has_text="The short one").locator("[data-remove]").click()
    await expect(rows).to_have_count(1)
    await expect(page.locator("[data-history-total]")).to_have_text("1 video watched")
    await page.reload()
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0).locator("[data-field=title]")).to_have_text("The long one")
    clear = page.locator("[data-clear-history]")
    await clear.click()
    await expect(clear).to_have_text("Press again to clear all")
    await expect(rows).to_have_count(1)
    await clear.click()
    await expect(page.locator("[data-history-empty]")).to_be_visible()
    await expect(rows).to_have_count(0)
    await page.reload()
    await expect(page.locator("[data-history-empty]")).to_be_visible()
    await expect(rows).to_have_count(0)
    assert errors == []
