"""Fixtures of the browser tests: a real `clipcast serve`, tiny media, Debian chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ViewportSize, async_playwright

from tests.e2e.server import running_server
from tests.media import make_video
from tests.services import in_ci

# The flags field-notes.md lists for Debian's chromium in a container; never `playwright install`.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT: ViewportSize = {"width": 1100, "height": 720}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian chromium is not installed (`make chromium` or `apt-get install chromium`)"
        if in_ci():
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`clipcast serve` in embedded mode (SQLite, local storage, in-process worker).

    Two rungs at or below 240p, so a 320x240 source gives the quality picker two renditions.
    """
    data_dir = tmp_path_factory.mktemp("browser-server") / "data"
    with running_server(data_dir, env={"CLIPCAST_LADDER": "[240, 144]"}) as url:
        yield url


@pytest.fixture(scope="session")
def sample_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of test pattern and a tone at 320x240, H.264/AAC in MP4."""
    return make_video(tmp_path_factory.mktemp("media") / "pattern.mp4", seconds=4, size="320x240")


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $SCREENSHOTS_DIR (e.g. docs/screenshots) or a temp dir."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser, server_url: str) -> AsyncIterator[BrowserContext]:
    """A fresh profile (cookies, localStorage) whose relative URLs go to the test server."""
    made = await browser.new_context(base_url=server_url, viewport=VIEWPORT)
    made.set_default_timeout(10_000)
    yield made
    await made.close()
