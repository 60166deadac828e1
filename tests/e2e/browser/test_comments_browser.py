"""Comments under the player in Chromium: post, reply, edit, remove, markup shown as text,
refusals shown in the form, the owner's moderation, and what an anonymous visitor sees."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, Response, expect

from tests.e2e.browser.conftest import (
    VIEWPORT,
    log_in,
    settled,
    sign_up,
    upload_through_api,
    watch_errors,
)

pytestmark = pytest.mark.browser

MARKUP = (
    '<img src=x onerror="window.__owned = 1"><b>bold?</b> & <script>window.__owned = 2</script>'
)


@pytest.fixture(scope="module")
def video_id(server_url: str, sample_video: Path) -> str:
    """A ready public video of `c_owner`'s (made once for the module's tests)."""

    async def make() -> str:
        made = await upload_through_api(
            server_url, "c_owner", sample_video.read_bytes(), title="Discuss this"
        )
        assert (await settled(server_url, made))["state"] == "ready"
        return made

    return asyncio.run(make())


@pytest.fixture
async def two_profiles(
    browser: Browser, server_url: str
) -> AsyncIterator[tuple[BrowserContext, BrowserContext]]:
    """Two profiles with their own cookies on the same server."""
    made = [await browser.new_context(base_url=server_url, viewport=VIEWPORT) for _ in range(2)]
    for context in made:
        context.set_default_timeout(10_000)
    yield made[0], made[1]
    for context in made:
        await context.close()


def _thread(page: Page, text: str) -> Locator:
    return page.locator("[data-comment-list] > li.comment").filter(
        has=page.locator(":scope > [data-body]", has_text=text)
    )


async def _post(page: Page, text: str) -> None:
    form = page.locator("[data-comment-form]")
    await form.locator("textarea").fill(text)
    await form.locator("button[type=submit]").click()


def _unexpected(errors: list[str]) -> list[str]:
    # Refusals the test provokes on purpose (a 10 kB comment, the sixth in 30 s).
    return [e for e in errors if not re.match(r"^(422|429): POST .*/comments$", e)]


async def test_a_viewer_posts_replies_edits_and_removes_and_markup_stays_text(
    context: BrowserContext, video_id: str, screenshot_dir: Path
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "c_viewer")
    await page.goto(f"/watch/{video_id}")
    await expect(page.locator("[data-comment-count]")).to_have_text("0 comments")

    # Markup is shown as the characters typed: no element made, no script run.
    await _post(page, MARKUP)
    first = _thread(page, "bold?")
    await expect(first.locator(":scope > [data-body]")).to_have_text(MARKUP)
    await expect(page.locator("[data-comment-count]")).to_have_text("1 comment")
    assert await page.locator("[data-comment-list] img, [data-comment-list] b").count() == 0
    assert await page.evaluate("window.__owned") is None

    # A reply sits under its thread, with the thread's reply count.
    await first.locator(":scope > .comment-actions [data-reply]").click()
    await first.locator("[data-reply-slot] textarea").fill("Replying to myself")
    await first.locator("[data-reply-slot] button[type=submit]").click()
    await expect(first.locator("[data-replies] [data-body]")).to_have_text(["Replying to myself"])
    await expect(first.locator(":scope > [data-reply-count]")).to_have_text("1 reply")
    await expect(page.locator("[data-comment-count]")).to_have_text("2 comments")

    # The author edits: the text changes and shows as edited.
    first = page.locator(f'[data-comment-id="{await first.get_attribute("data-comment-id")}"]')
    await first.locator(":scope > .comment-actions [data-edit]").click()
    await first.locator(":scope > form textarea").fill("Edited: plain words now")
    await first.locator(":scope > form button[type=submit]").click()
    edited = _thread(page, "Edited: plain words now")
    await expect(edited.locator(":scope > .comment-head [data-edited]")).to_be_visible()

    # A second thread; newest first puts it on top; a fresh load still shows both (read your
    # own writes) with the reply under its thread.
    await _post(page, "Second thought")
    await page.locator("[data-sort=newest]").click()
    bodies = page.locator("[data-comment-list] > li.comment > [data-body]")
    await expect(bodies).to_have_text(["Second thought", "Edited: plain words now"])
    await page.reload()
    await expect(page.locator("[data-comment-count]")).to_have_text("3 comments")
    await expect(edited.locator("[data-replies] [data-body]")).to_have_text(["Replying to myself"])
    await page.screenshot(path=screenshot_dir / "watch-comments.png", full_page=True)

    # Removing the reply takes two clicks; the counts follow.
    delete = edited.locator("[data-replies] [data-delete]")
    await delete.click()
    await expect(delete).to_have_text("Delete? Click again")
    await delete.click()
    await expect(edited.locator("[data-replies] > li")).to_have_count(0)
    await expect(page.locator("[data-comment-count]")).to_have_text("2 comments")
    await expect(edited.locator(":scope > [data-reply-count]")).to_be_hidden()
    assert _unexpected(errors) == []


async def test_refusals_show_in_the_form_and_nothing_is_posted(
    context: BrowserContext, video_id: str
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "c_talker")
    await page.goto(f"/watch/{video_id}")
    count = page.locator("[data-comment-count]")
    await expect(count).not_to_have_text("Comments")
    before = await count.text_content()
    form = page.locator("[data-comment-form]")
    error = form.locator("[data-error]")

    # The textarea stops at 2,000 characters; a page that forces 10 kB through hears why not.
    assert await form.locator("textarea").get_attribute("maxlength") == "2000"
    await form.locator("textarea").evaluate("(t, n) => { t.value = 'x'.repeat(n); }", 10_240)
    await form.locator("button[type=submit]").click()
    await expect(error).to_contain_text("at most 2,000 characters")
    await expect(count).to_have_text(before or "")

    # Five comments in a row go through; the sixth is told how long to wait.
    for n in range(5):
        await _post(page, f"quick {n}")
        await expect(_thread(page, f"quick {n}")).to_have_count(1)
    await _post(page, "one too many")
    await expect(error).to_contain_text(re.compile(r"try again in \d+ s"))
    assert await _thread(page, "one too many").count() == 0
    assert _unexpected(errors) == []


async def test_the_owner_removes_any_comment_and_anonymous_visitors_only_read(
    two_profiles: tuple[BrowserContext, BrowserContext], video_id: str
) -> None:
    owner_context, anonymous_context = two_profiles
    viewer = await owner_context.new_page()
    await sign_up(viewer, "c_guest")
    await viewer.goto(f"/watch/{video_id}")
    await _post(viewer, "Please remove me")
    await expect(_thread(viewer, "Please remove me")).to_have_count(1)
    await viewer.locator("[data-logout]").click()
    await expect(viewer.get_by_role("link", name="Log in")).to_be_visible()

    # Anonymous: the list and counts, a link to log in, no form, no edit or delete.
    anonymous = await anonymous_context.new_page()
    await anonymous.goto(f"/watch/{video_id}")
    await expect(_thread(anonymous, "Please remove me")).to_have_count(1)
    await expect(anonymous.locator("[data-comment-form]")).to_have_count(0)
    await expect(anonymous.locator(".comments-login a")).to_have_attribute(
        "href", re.compile(r"^/login\?next=")
    )
    assert await anonymous.locator("[data-edit], [data-delete], [data-reply]").count() == 0

    # The video's owner may remove it (not edit it).
    owner = viewer
    await owner.goto("/login")
    await log_in(owner, "c_owner")
    await expect(owner.get_by_test_id("username")).to_have_text("c_owner")
    await owner.goto(f"/watch/{video_id}")
    theirs = _thread(owner, "Please remove me")
    await expect(theirs.locator(":scope > .comment-actions [data-delete]")).to_be_visible()
    assert await theirs.locator(":scope > .comment-actions [data-edit]").count() == 0
    await theirs.locator(":scope > .comment-actions [data-delete]").click()
    await theirs.locator(":scope > .comment-actions [data-delete]").click()
    await expect(theirs).to_have_count(0)
    await anonymous.reload()
    await expect(anonymous.locator("[data-comment-list]")).not_to_contain_text("Please remove me")


def _vote_accepted(response: Response) -> bool:
    request = response.request
    return (
        request.method == "POST"
        and request.url.endswith("/api/v1/activity")
        and ("comment_like" in (request.post_data or ""))
    )


async def _bodies(page: Page) -> list[str]:
    return await page.locator("[data-comment-list] > li.comment > [data-body]").all_text_contents()


async def test_likes_and_dislikes_count_at_once_and_top_follows_the_likes(
    context: BrowserContext, video_id: str
) -> None:
    page = await context.new_page()
    errors = watch_errors(page)
    await sign_up(page, "c_fan")
    await page.goto(f"/watch/{video_id}")
    for text in ("alpha, liked later", "beta, newer"):
        await _post(page, text)
        await expect(_thread(page, text)).to_have_count(1)
    alpha = _thread(page, "alpha, liked later")
    like = alpha.locator(":scope > .comment-actions [data-like]")
    dislike = alpha.locator(":scope > .comment-actions [data-dislike]")

    # A like counts on the button at once, and is still there after a reload (read your writes).
    async with page.expect_response(_vote_accepted) as sent:
        await like.click()
    assert (await sent.value).status == 202
    await expect(like).to_have_attribute("aria-pressed", "true")
    await expect(like).to_have_attribute("data-count", "1")
    await page.reload()
    await expect(like).to_have_attribute("data-count", "1")
    await expect(like).to_have_attribute("aria-pressed", "true")

    # Top order: once the bus has carried the like, the liked thread comes before the newer one.
    for _ in range(40):
        bodies = await _bodies(page)
        if bodies.index("alpha, liked later") < bodies.index("beta, newer"):
            break
        await page.wait_for_timeout(250)
        await page.reload()
        await expect(page.locator("[data-comments]")).to_have_attribute("data-loaded", "top")
    else:
        raise AssertionError(f"the liked comment never rose: {bodies}")

    # A dislike replaces the like (set-state), shown at once.
    await dislike.click()
    await expect(dislike).to_have_attribute("aria-pressed", "true")
    await expect(dislike).to_have_attribute("data-count", "1")
    await expect(like).to_have_attribute("aria-pressed", "false")
    await expect(like).to_have_attribute("data-count", "0")
    await dislike.click()
    await expect(dislike).to_have_attribute("data-count", "0")
    assert _unexpected(errors) == []
