"""Fixtures of the browser tests: a real `clipcast serve`, tiny media, Debian chromium."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    ViewportSize,
    async_playwright,
    expect,
)

from tests.e2e.server import running_server
from tests.integration.api import tus_helpers as tus
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
PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"


def watch_errors(page: Page) -> list[str]:
    """Uncaught exceptions, console errors (CSP violations among them) and failed loads."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def console(message: ConsoleMessage) -> None:
        # A failed load is reported below with its URL, which the console message lacks.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"console: {message.text}")

    def response(answer: Response) -> None:
        if answer.status >= 400:
            errors.append(f"{answer.status}: {answer.request.method} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    return errors


async def log_in(page: Page, username: str) -> None:
    """Fill and send the log-in or sign-up form the page shows."""
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[data-auth] button[type=submit]")


async def sign_up(page: Page, username: str) -> None:
    await page.goto("/signup")
    await log_in(page, username)
    await expect(page.get_by_test_id("username")).to_have_text(username)


async def api_video(page: Page, video_id: str) -> dict[str, Any]:
    response = await page.request.get(f"/api/v1/videos/{video_id}")
    assert response.ok, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def upload_through_api(
    url: str, username: str, source: bytes, *, register: bool = True, **meta: str
) -> str:
    """Upload `source` with tus as `username` (registered first); the new video's id."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        account = {"username": username, "password": PASSWORD}
        if register:
            assert (await http.post("/api/v1/auth/register", json=account)).status_code == 201
        token = (await http.post("/api/v1/auth/token", json=account)).json()["access_token"]
        return await tus.upload_bytes(http, token, source, **meta)


async def settled(url: str, video_id: str) -> dict[str, Any]:
    """The video once it is ready or failed."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(480):
            body: dict[str, Any] = (await http.get(f"/api/v1/videos/{video_id}")).json()
            if body["state"] in ("ready", "failed"):
                return body
            await asyncio.sleep(0.25)
    raise AssertionError(f"video {video_id} never settled")


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
