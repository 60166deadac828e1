"""The upload page stays after the upload and follows the video's processing live, to the end."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.browser.conftest import api_video, sign_up, watch_errors

pytestmark = pytest.mark.browser

# Every text the processing line shows, as the page changes it (recorded in the page itself,
# so a state shown between two looks from the test is not missed).
RECORD_STATES = """
window.__shown = [];
document.addEventListener("DOMContentLoaded", () => {
  const line = document.querySelector("[data-processing-state]");
  const watch = document.querySelector("[data-processing] [data-watch]");
  if (!line) return;
  new MutationObserver(() => {
    window.__shown.push({ text: line.textContent, watchLink: !watch.hidden });
  }).observe(line, { childList: true, characterData: true, subtree: true });
});
"""
# The order the states come in: a text's rank is the first of these it starts with.
STAGES = ["Finishing the upload", "Queued", "Encoding", "Playable now", "Ready"]
STEPS = ["uploaded", "queued", "encoding", "playable", "ready"]


def _rank(text: str) -> int:
    return next(i for i, stage in enumerate(STAGES) if text.startswith(stage))


async def _upload(page: Page, source: Path, title: str) -> None:
    await page.goto("/upload")
    await page.set_input_files("input[name=file]", str(source))
    await page.fill("input[name=title]", title)
    await page.click("[data-start]")
    await expect(page.locator("[data-percent]")).to_have_text("100 %")


async def _steps(page: Page) -> dict[str, str | None]:
    steps = page.locator("[data-steps] [data-step]")
    return {
        await step.get_attribute("data-step") or "": await step.get_attribute("data-status")
        for step in await steps.all()
    }


async def test_the_page_stays_and_shows_processing_live_until_ready(
    context: BrowserContext, sample_video: Path, screenshot_dir: Path
) -> None:
    await context.add_init_script(RECORD_STATES)
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "follower")
    await _upload(page, sample_video, "Followed to the end")

    line = page.locator("[data-processing-state]")
    await expect(line).to_have_text("Ready: every quality is done.", timeout=45_000)
    await page.screenshot(path=screenshot_dir / "upload-processing.png", full_page=True)
    assert page.url.endswith("/upload"), "the page moved on"
    assert await _steps(page) == dict.fromkeys(STEPS, "done")

    # Live: it showed the states on the way, in order, the watch link with the first playable one.
    shown: list[dict[str, Any]] = await page.evaluate("window.__shown")
    ranks = [_rank(entry["text"]) for entry in shown]
    assert ranks == sorted(ranks), shown
    assert ranks[0] < STAGES.index("Ready") and ranks[-1] == STAGES.index("Ready"), shown
    playable = STAGES.index("Playable now")
    links = [
        (entry["watchLink"], rank >= playable) for entry, rank in zip(shown, ranks, strict=True)
    ]
    assert all(shown_link == expected for shown_link, expected in links), shown

    # The watch link goes to this video, which the API says is ready, and it plays there.
    watch = page.locator("[data-processing] [data-watch]")
    href = await watch.get_attribute("href") or ""
    assert re.fullmatch(r"/watch/[0-9a-f-]{36}", href), href
    assert (await api_video(page, href.rsplit("/", 1)[-1]))["state"] == "ready"
    await watch.click()
    await page.wait_for_url(f"**{href}")
    await page.wait_for_function(
        "() => { const v = document.getElementById('player'); return v.currentTime > 0.5; }",
        timeout=15_000,
    )
    assert errors == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("text", "This is not a video file we accept (looks like text)."),
        ("truncated", "The file is truncated or damaged"),
    ],
)
async def test_a_failing_upload_says_why_in_plain_words(
    context: BrowserContext, sample_video: Path, tmp_path: Path, name: str, reason: str
) -> None:
    # A text file renamed .mp4, or the first 40 % of a real MP4 (its index is at the end).
    bad = tmp_path / f"{name}.mp4"
    if name == "text":
        bad.write_text("This is my holiday video, honest!\n" * 40)
    else:
        whole = sample_video.read_bytes()
        bad.write_bytes(whole[: len(whole) * 4 // 10])
    page = await context.new_page()
    await sign_up(page, f"failing-{name}")
    await _upload(page, bad, f"Not really a video ({name})")

    await expect(page.locator("[data-processing-state]")).to_have_text(
        "Processing failed.", timeout=30_000
    )
    failed = page.locator("[data-failed]")
    await expect(failed).to_be_visible()
    await expect(failed.locator("[data-failure-reason]")).to_contain_text(reason)
    assert "failed" in (await _steps(page)).values()
    await expect(page.locator("[data-processing] [data-watch]")).to_be_hidden()
    await expect(page.locator("[data-processing-progress]")).to_be_hidden()
    assert page.url.endswith("/upload")
