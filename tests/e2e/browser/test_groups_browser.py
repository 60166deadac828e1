"""Share groups as a person uses them: make a group on the groups page, upload a video for
it, its member watches while a stranger gets a 404, and a removed member loses it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser.conftest import PASSWORD, log_in, sign_up, watch_errors

pytestmark = pytest.mark.browser


def _register(url: str, username: str) -> None:
    account = {"username": username, "password": PASSWORD}
    assert httpx.post(f"{url}/api/v1/auth/register", json=account).status_code == 201


async def _as(browser: Browser, url: str, username: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(base_url=url)
    page = await context.new_page()
    await page.goto("/login")
    await log_in(page, username)
    await expect(page.get_by_test_id("username")).to_have_text(username)
    return context, page


async def _status(page: Page, path: str) -> int:
    response = await page.goto(path)
    assert response is not None
    return response.status


async def test_a_group_video_is_for_its_members_only(
    browser: Browser,
    context: BrowserContext,
    server_url: str,
    sample_video: Path,
    screenshot_dir: Path,
) -> None:
    _register(server_url, "hank")
    _register(server_url, "ivy")
    page = await context.new_page()
    errors = watch_errors(page)
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_up(page, "gina")

    # The groups page: make a group, add hank; a username nobody has is refused in the page.
    await page.click("nav >> text=Groups")
    await page.wait_for_url("**/me/groups")
    await page.fill("[data-create-group] input[name=name]", "Climbers")
    await page.click("[data-create-group] button[type=submit]")
    group = page.locator('[data-group="Climbers"]')
    await group.locator("[data-add-member] input").fill("hank")
    await group.locator("[data-add-member] button").click()
    await expect(group.locator('[data-member="hank"]')).to_be_visible()
    await group.locator("[data-add-member] input").fill("nobody-here")
    await group.locator("[data-add-member] button").click()
    await expect(page.locator("[data-groups-error]")).to_contain_text("nobody-here")
    await page.fill("[data-create-group] input[name=name]", "Spare")
    await page.click("[data-create-group] button[type=submit]")
    await page.locator('[data-group="Spare"] [data-delete-group]').click()  # confirmed
    await expect(page.locator('[data-group="Spare"]')).to_have_count(0)
    await page.screenshot(path=str(screenshot_dir / "groups.png"), full_page=True)

    # Upload for the group: the picker shows only while "group" is chosen.
    await page.goto("/upload")
    picker = page.locator("[data-group-picker]")
    await expect(picker).to_be_hidden()
    await page.select_option("select[name=visibility]", "group")
    await expect(picker).to_be_visible()
    await picker.get_by_label("Climbers").check()
    await page.set_input_files("input[name=file]", str(sample_video))
    await page.fill("input[name=title]", "Crag day")
    await page.click("[data-start]")
    await expect(page.locator("[data-edit]")).to_have_attribute("href", re.compile("/edit$"))
    await page.click("[data-edit]")
    await page.wait_for_url("**/videos/*/edit")
    video_id = page.url.rsplit("/", 2)[-2]
    await expect(page.locator("select[name=visibility]")).to_have_value("group")
    await expect(page.locator("[data-group-picker]").get_by_label("Climbers")).to_be_checked()

    # hank, a member, watches it and sees the group he is in; ivy, a stranger, gets a 404.
    hank_context, hank = await _as(browser, server_url, "hank")
    assert await _status(hank, f"/watch/{video_id}") == 200
    await expect(hank.locator(".watch-title")).to_have_text("Crag day")
    await hank.goto("/me/groups")
    await expect(hank.locator('[data-joined="Climbers"]')).to_contain_text("by gina")
    ivy_context, ivy = await _as(browser, server_url, "ivy")
    assert await _status(ivy, f"/watch/{video_id}") == 404

    # gina removes hank: the video is gone for him at once.
    await page.goto("/me/groups")
    await page.locator('[data-group="Climbers"] [data-remove-member="hank"]').click()
    await expect(page.locator('[data-group="Climbers"] [data-member="hank"]')).to_have_count(0)
    assert await _status(hank, f"/watch/{video_id}") == 404

    # The edit page makes it private, then public; the form says what the API stored.
    await page.goto(f"/videos/{video_id}/edit")
    await page.select_option("select[name=visibility]", "public")
    await expect(page.locator("[data-group-picker]")).to_be_hidden()
    await page.click("[data-edit-form] button[type=submit]")
    await expect(page.locator("[data-status]")).to_have_text("Saved.")
    assert await _status(ivy, f"/watch/{video_id}") == 200
    await hank_context.close()
    await ivy_context.close()
    # The one refusal asked for (the unknown username), and nothing else went wrong.
    assert len(errors) == 1
    assert errors[0].startswith("404: POST") and errors[0].endswith("/members"), errors
