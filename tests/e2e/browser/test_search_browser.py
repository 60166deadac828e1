"""Search as a person uses it: suggestions while typing, then highlighted results."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from clipcast import client

pytestmark = pytest.mark.browser


def _ready_and_indexed(url: str, source: Path, title: str) -> str:
    httpx.post(
        f"{url}/api/v1/auth/register", json={"username": "searcher", "password": "searcher pass"}
    )
    token = client.login(url, "searcher", "searcher pass")
    meta = {"filename": "q.mp4", "title": title, "description": "A parade of small marsupials"}
    video_id = client.upload(url, token, source, meta, lambda *_: None)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        hits = httpx.get(f"{url}/api/v1/search", params={"q": title}).json()["items"]
        if [h["id"] for h in hits] == [video_id]:
            return video_id
        time.sleep(0.3)
    raise AssertionError("the video never reached the search index")


async def test_suggestions_as_you_type_then_highlighted_results(
    context: BrowserContext, server_url: str, sample_video: Path
) -> None:
    video_id = _ready_and_indexed(server_url, sample_video, "Quokka parade")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto("/")
    box = page.locator("form.search-box input")
    await box.press_sequentially("quok", delay=60)
    suggestion = page.locator("#search-suggestions li", has_text="Quokka parade")
    await expect(suggestion).to_be_visible()
    await box.press("Enter")
    await page.wait_for_url("**/search?**")
    result = page.locator("[data-testid=search-results] .result-title a").first
    await expect(result).to_have_attribute("href", f"/watch/{video_id}")
    await expect(page.locator("[data-testid=search-results] mark").first).to_be_visible()
    typo = await page.goto("/search?q=quoka+parad")
    assert typo is not None and typo.status == 200
    await expect(
        page.locator("[data-testid=search-results] .result-title a").first
    ).to_have_attribute("href", f"/watch/{video_id}")
    assert errors == []
