"""Going live from the browser: the go-live page records Chromium's fake camera and sends it
over the ingest WebSocket; a second browser context watches with our pointer-walking player;
the end turns the page into a link to the recording."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright, expect

from tests.e2e.browser.conftest import CHROMIUM_ARGS, VIEWPORT, sign_up, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def real_errors(errors: list[str]) -> list[str]:
    # A live player asks for the next clip document a moment before it is published: those
    # 404s are the protocol working (answered no-store), not failures.
    return [e for e in errors if not (e.startswith("404: GET") and e.endswith(".json"))]


async def test_go_live_from_the_browser_and_watch_from_another(
    chromium_path: str, server_url: str
) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=[*CHROMIUM_ARGS, *FAKE_MEDIA], headless=True
        )
        streamer_context = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
        streamer = await streamer_context.new_page()
        streamer_errors = watch_errors(streamer)
        await sign_up(streamer, "broadcaster")
        await streamer.goto("/go-live")
        await streamer.fill("input[name=title]", "Live from a browser")
        await streamer.fill("input[name=tags]", "webcam")
        await streamer.click("[data-start]")
        await expect(streamer.locator("[data-on-air]")).to_be_visible()
        await expect(streamer.locator("[data-feed-state]")).to_contain_text("Live", timeout=20_000)
        await expect(streamer.locator("[data-clips]")).not_to_have_text("0", timeout=20_000)
        stream_id = await streamer.evaluate("document.body.dataset.streamId")

        viewer_context = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
        viewer = await viewer_context.new_page()
        viewer_errors = watch_errors(viewer)
        await viewer.goto("/")
        await expect(viewer.locator(".badge-live")).to_have_text("LIVE")
        await viewer.click(f"a[href='/watch/{stream_id}']")  # the watch page sends it live
        await viewer.wait_for_url(f"**/live/{stream_id}")
        await viewer.wait_for_function(
            "() => { const v = document.getElementById('live-player');"
            " return v.currentTime > 3 && !v.paused && v.readyState >= 3; }",
            timeout=30_000,
        )
        frames = await viewer.evaluate(
            "document.getElementById('live-player').getVideoPlaybackQuality().totalVideoFrames"
        )
        assert frames > 30  # the fake camera's picture, decoded
        latency = await viewer.evaluate("window.livePlayer.latency()")
        assert latency is not None and latency > 0
        await expect(viewer.locator("[data-live-latency]")).to_contain_text(" s")
        await expect(viewer.locator("[data-live-viewer-count]")).not_to_have_text("0")

        # The viewer's network drops for a few seconds: it asks `current` again and jumps
        # to the live edge rather than playing on from where it stopped.
        await viewer_context.set_offline(True)
        await expect(viewer.locator("[data-live-state]")).to_contain_text(
            "reconnecting", timeout=15_000
        )
        stopped_at = await viewer.evaluate("window.livePlayer.position().index")
        await asyncio.sleep(4)
        edge = await streamer.request.get(f"/api/v1/streams/{stream_id}/current")
        edge_index = (await edge.json())["index"]
        assert edge_index >= stopped_at + 2
        await viewer_context.set_offline(False)
        await expect(viewer.locator("[data-live-state]")).to_be_hidden(timeout=20_000)
        await viewer.wait_for_function(
            f"() => (window.livePlayer.position()?.index ?? -1) >= {edge_index}",
            timeout=20_000,
        )
        played = await viewer.evaluate("window.livePlayer.spans.map((s) => s.index)")
        skipped = range(stopped_at + 2, edge_index)  # what played on would have shown
        assert not [i for i in played if i in skipped]

        await streamer.click("[data-end]")
        await expect(streamer.locator("[data-ended]")).to_be_visible(timeout=30_000)
        await expect(viewer.locator("[data-live-state]")).to_contain_text(
            "The stream has ended", timeout=20_000
        )
        await viewer.click("text=Watch the recording")
        await viewer.wait_for_url(f"**/watch/{stream_id}")
        assert real_errors(streamer_errors) == []
        assert real_errors(viewer_errors) == []
        await browser.close()
