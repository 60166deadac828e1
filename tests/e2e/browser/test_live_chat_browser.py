"""Live chat in Chromium: a streamer goes live from the go-live page (fake camera and mic), a
second browser context watches with the pointer-walking player and chats. Each message shows
on the streamer's page as it arrives, and on the viewer's page only once the viewer's picture
reaches the moment it was sent at (never before); HTML stays text; the streamer deletes a
message; after the end the recording replays the chat in step with playback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.browser.conftest import CHROMIUM_ARGS, VIEWPORT, sign_up, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def real_errors(errors: list[str]) -> list[str]:
    # The player asks for the next clip document a moment before it is published: those 404s
    # (answered no-store) are the protocol working.
    return [e for e in errors if not (e.startswith("404: GET") and e.endswith(".json"))]


def before(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Position `a` is earlier than position `b` (clip index, then offset)."""
    return (a["index"], a["offset"]) < (b["index"], b["offset"])


async def post(page: Page, text: str) -> dict[str, Any]:
    """Send `text` from the page's chat form; the message as the server accepted it."""
    await page.fill("[data-chat-form] input[name=text]", text)
    await page.click("[data-chat-form] button[type=submit]")
    handle = await page.wait_for_function(
        "text => window.liveChat.shown.find(m => m.text === text)"
        " || [...window.liveChat.queue.held].find(m => m.text === text)",
        arg=text,
    )
    message: dict[str, Any] = await handle.json_value()
    return message


async def shown_on(page: Page, text: str) -> dict[str, Any]:
    """Where the page showed the message `text` (waits for it)."""
    handle = await page.wait_for_function(
        "text => window.liveChat.shown.find(m => m.text === text)", arg=text, timeout=20_000
    )
    record: dict[str, Any] = await handle.json_value()
    return record


async def go_live(browser: Browser, server_url: str) -> tuple[Page, list[str], str]:
    context = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "streamer")
    await page.goto("/go-live")
    await page.fill("input[name=title]", "Chatting live")
    await page.click("[data-start]")
    await expect(page.locator("[data-feed-state]")).to_contain_text("Live", timeout=20_000)
    await expect(page.locator("[data-clips]")).not_to_have_text("0", timeout=20_000)
    await expect(page.locator("[data-live-chat]")).to_have_attribute("data-connected", "true")
    return page, errors, str(await page.evaluate("document.body.dataset.streamId"))


async def watch(browser: Browser, server_url: str, stream_id: str) -> tuple[Page, list[str]]:
    context = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "watcher")
    await page.goto(f"/live/{stream_id}")
    await page.wait_for_function(
        "() => { const v = document.getElementById('live-player');"
        " return v.currentTime > 2 && !v.paused && window.livePlayer.position() !== null; }",
        timeout=30_000,
    )
    await expect(page.locator("[data-chat-form]")).to_be_visible()
    return page, errors


async def test_chat_shows_at_once_to_the_streamer_and_in_step_to_the_viewer_then_replays(
    chromium_path: str, server_url: str, screenshot_dir: Path
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=[*CHROMIUM_ARGS, *FAKE_MEDIA], headless=True
        )
        streamer, streamer_errors, stream_id = await go_live(browser, server_url)
        viewer, viewer_errors = await watch(browser, server_url, stream_id)

        # The viewer's message carries the viewer's own position; the streamer sees it as it
        # arrives, the viewer (who is at that position) at once too.
        sent = await post(viewer, "hello from the viewer")
        on_streamer = await shown_on(streamer, "hello from the viewer")
        assert on_streamer["at"] is None  # shown on arrival, whatever the picture
        mine = await shown_on(viewer, "hello from the viewer")
        assert not before(mine["at"], sent)

        # The streamer's message is placed where the camera is now: the viewer, seconds
        # behind, holds it until its own picture gets there.
        said = await post(streamer, "hello from the streamer")
        held = await viewer.evaluate(
            "text => ({ held: window.liveChat.queue.held.some(m => m.text === text),"
            " shown: window.liveChat.shown.some(m => m.text === text),"
            " at: window.livePlayer.position() })",
            "hello from the streamer",
        )
        assert held["shown"] is False
        assert held["held"] is True
        assert before(held["at"], said)  # the viewer's picture is still before that moment
        in_step = await shown_on(viewer, "hello from the streamer")
        assert not before(in_step["at"], said)  # never before the moment it was sent at

        # The clip documents on the CDN carry the chat too (late joiners read it there).
        current = await (await viewer.request.get(f"/api/v1/streams/{stream_id}/current")).json()
        document = await (await viewer.request.get(current["document"])).json()
        assert {"hello from the viewer", "hello from the streamer"} <= {
            item.get("text") for item in document["chat"]
        }

        # HTML is text; the streamer deletes a message from every page.
        html = '<img src=x onerror="window.pwned = 1"><b>bold?</b>'
        await post(viewer, html)
        await expect(streamer.locator(".chat-text", has_text="<b>bold?</b>")).to_have_count(1)
        assert await streamer.locator("[data-chat-log] img, [data-chat-log] b").count() == 0
        assert await streamer.evaluate("window.pwned") is None
        item = streamer.locator(".chat-message", has_text="bold?")
        await item.hover()
        await item.locator("[data-action=delete]").click()
        await expect(streamer.locator(".chat-message", has_text="bold?")).to_have_count(0)
        await expect(viewer.locator(".chat-message", has_text="bold?")).to_have_count(0)
        await viewer.screenshot(path=screenshot_dir / "live-chat-viewer.png")
        await streamer.locator("[data-live-chat]").scroll_into_view_if_needed()
        await streamer.screenshot(path=screenshot_dir / "live-chat-streamer.png")

        # The end: the recording replays the chat at the moments it was sent at.
        await streamer.click("[data-end]")
        await expect(streamer.locator("[data-ended]")).to_be_visible(timeout=30_000)
        await viewer.goto(f"/watch/{stream_id}")
        replay = viewer.locator("[data-chat-replay]")
        await expect(replay).to_be_visible(timeout=20_000)
        await viewer.wait_for_function("() => document.getElementById('player').readyState >= 1")
        messages = await viewer.evaluate("window.chatReplay.messages")
        texts = [m["text"] for m in messages]
        assert texts == ["hello from the viewer", "hello from the streamer"]  # deleted: gone
        for message in messages:
            await replay_check(viewer, message)
        await viewer.locator("[data-chat-replay]").scroll_into_view_if_needed()
        await viewer.screenshot(path=screenshot_dir / "live-chat-replay.png")
        assert real_errors(streamer_errors) == []
        assert real_errors(viewer_errors) == []
        await browser.close()


async def replay_check(page: Page, message: dict[str, Any]) -> None:
    """Paused just before the message's moment it is not shown; at it, it is."""
    locator = page.locator(f"[data-chat-replay] [data-id='{message['id']}']")
    duration = await page.evaluate("document.getElementById('player').duration")
    sent_at = message["media_time"]
    for moment, count in ((sent_at - 0.3, 0), (min(sent_at + 0.1, duration), 1)):
        if moment < 0:
            continue
        await page.evaluate(
            "t => { const v = document.getElementById('player'); v.pause(); v.currentTime = t; }",
            moment,
        )
        await page.wait_for_function(
            "t => Math.abs(document.getElementById('player').currentTime - t) < 0.05", arg=moment
        )
        await expect(locator).to_have_count(count)
