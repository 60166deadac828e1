"""Server-rendered pages: home, sign-up, log-in, upload, my videos, watch, edit, search."""

from __future__ import annotations

import functools
import math
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from clipcast.accounts.models import User
from clipcast.activity import reads as activity_reads
from clipcast.comments.rules import MAX_CHARS as COMMENT_MAX_CHARS
from clipcast.core.clock import utcnow
from clipcast.core.errors import InvalidInput, NotFound
from clipcast.groups import service as groups_service
from clipcast.recommendations import reads as recs_reads
from clipcast.search import service as search_service
from clipcast.search.api import media_links
from clipcast.search.query import DateWindow, DurationBucket, page_params
from clipcast.search.schemas import SearchPageOut
from clipcast.videos import service
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.schemas import VideoOut, VideoPage
from clipcast.videos.tags import MAX_TAG_LENGTH, MAX_TAGS
from clipcast.web.deps import AdaptersDep, OptionalUser, viewer_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
HOME_PER_PAGE = 24
MINE_PER_PAGE = 50
SEARCH_PER_PAGE = 20
HISTORY_PER_PAGE = 20
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
NextUrl = Annotated[str | None, Query(alias="next")]

router = APIRouter(include_in_schema=False)

# What the visibility <select> offers, in this order; a new Visibility member shows up with its
# capitalised name until it gets a label here.
VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Public: listed, searchable",
    Visibility.UNLISTED: "Unlisted: anyone with the link",
    Visibility.PRIVATE: "Private: only you",
    Visibility.GROUP: "Groups: members of the groups you pick",
}
STATE_LABELS: dict[str, str] = {
    VideoState.UPLOADING: "Uploading",
    VideoState.PROCESSING: "Processing",
    VideoState.READY: "Ready",
    VideoState.FAILED: "Failed",
    VideoState.LIVE: "Live",
}
# The limits the forms show (the API's VideoPatch and the tags rules enforce them).
LIMITS = {
    "title": 200,
    "description": 10_000,
    "tags": MAX_TAGS,
    "tag_length": MAX_TAG_LENGTH,
    "comment": COMMENT_MAX_CHARS,
}


def format_duration(seconds: float | None) -> str:
    """`1:05:09`, `4:02`, `0:04`; empty when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_date(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def visibility_choices() -> list[tuple[str, str]]:
    """(value, label) for every visibility a video may have."""
    return [(v.value, VISIBILITY_LABELS.get(v, v.value.capitalize())) for v in Visibility]


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def safe_next(raw: str | None) -> str:
    """A local path to go to after logging in; anything else (other hosts included) is `/`."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in raw):
        return "/"
    return raw


@functools.cache
def _templates() -> Jinja2Templates:
    # Jinja2Templates turns autoescaping on: every {{ value }} is HTML-escaped.
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["duration"] = format_duration
    templates.env.filters["date"] = format_date
    templates.env.filters["state_label"] = state_label
    templates.env.globals["limits"] = LIMITS
    return templates


def _headers(request: Request) -> dict[str, str]:
    # Defence in depth: pages load only our own scripts; media, thumbnails (posters, sprite
    # sheets) and the storyboard VTT (fetched) may come from the public URL.
    public = request.app.state.adapters.settings.public_url
    cdn = "" if not public else " " + "://".join(urlsplit(public)[:2])
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{cdn}; media-src 'self' blob:{cdn}; connect-src 'self'{cdn}; "
        "worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _render(
    request: Request, name: str, user: User | None, *, status: int = 200, **context: Any
) -> Response:
    return _templates().TemplateResponse(
        request, name, {"user": user, **context}, status_code=status, headers=_headers(request)
    )


def _login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)


def _pager(page: VideoPage) -> dict[str, int | None]:
    pages = max(1, math.ceil(page.total / page.per_page))
    return {
        "page": page.page,
        "pages": pages,
        "prev": page.page - 1 if page.page > 1 else None,
        "next": page.page + 1 if page.page < pages else None,
    }


@router.get("/")
async def home(
    request: Request, adapters: AdaptersDep, user: OptionalUser, page: PageNumber = 1
) -> Response:
    """Recommendations (popular videos for visitors), then public ready videos, newest first."""
    recs = None
    if page == 1:
        recs = await recs_reads.recommendations(
            sessions=adapters.sessions,
            counters=adapters.counters,
            viewer=viewer_for(request, adapters, user),
        )
    listing = await service.list_videos(
        sessions=adapters.sessions,
        viewer=viewer_for(request, adapters, user),
        mine=False,
        page=page,
        per_page=HOME_PER_PAGE,
    )
    return _render(
        request,
        "home.html",
        user,
        active="home",
        videos=listing.items,
        pager=_pager(listing),
        recs=recs,
    )


@router.get("/signup")
async def signup(request: Request, user: OptionalUser, next_url: NextUrl = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _render(request, "signup.html", user, active="signup", next_url=safe_next(next_url))


@router.get("/login")
async def login(request: Request, user: OptionalUser, next_url: NextUrl = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _render(request, "login.html", user, active="login", next_url=safe_next(next_url))


@router.get("/upload")
async def upload(request: Request, adapters: AdaptersDep, user: OptionalUser) -> Response:
    if user is None:
        return _login_redirect(request)
    return _render(
        request,
        "upload.html",
        user,
        active="upload",
        visibilities=visibility_choices(),
        groups=await groups_service.list_groups(sessions=adapters.sessions, owner_id=user.id),
    )


@router.get("/me/videos")
async def my_videos(
    request: Request, adapters: AdaptersDep, user: OptionalUser, page: PageNumber = 1
) -> Response:
    """Every video of the caller, whatever its state; the page polls the API for progress."""
    if user is None:
        return _login_redirect(request)
    listing = await service.list_videos(
        sessions=adapters.sessions,
        viewer=viewer_for(request, adapters, user),
        mine=True,
        page=page,
        per_page=MINE_PER_PAGE,
    )
    return _render(
        request,
        "my_videos.html",
        user,
        active="mine",
        videos=listing.items,
        pager=_pager(listing),
        per_page=MINE_PER_PAGE,
        state_labels=STATE_LABELS,
    )


async def _visible_video(
    video_id: str, request: Request, adapters: AdaptersDep, user: User | None
) -> VideoOut | None:
    """The video as this viewer may see it (the API's visibility rules), or None."""
    try:
        return await service.get_video(
            sessions=adapters.sessions,
            video_id=uuid.UUID(video_id),
            viewer=viewer_for(request, adapters, user),
        )
    except (ValueError, NotFound):
        return None


@router.get("/watch/{video_id}")
async def watch(
    video_id: str, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> Response:
    """The player; the API's visibility rules apply, so another user's private video is a 404."""
    video = await _visible_video(video_id, request, adapters, user)
    if video is None:
        return _render(request, "not_found.html", user, status=404)
    if video.state == VideoState.LIVE:  # on the air: the live player (live/pages.py)
        return RedirectResponse(f"/live/{video.id}", status_code=303)
    up_next = await recs_reads.up_next(
        sessions=adapters.sessions, video_id=video.id, viewer=viewer_for(request, adapters, user)
    )
    return _render(
        request,
        "watch.html",
        user,
        video=video,
        video_data=video.model_dump(mode="json"),
        up_next=up_next,
    )


@router.get("/videos/{video_id}/edit")
async def edit(
    video_id: str, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> Response:
    """The owner's edit form (title, description, tags, visibility, poster); others get a 404."""
    if user is None:
        return _login_redirect(request)
    video = await _visible_video(video_id, request, adapters, user)
    if video is None or video.owner.id != user.id:
        return _render(request, "not_found.html", user, status=404)
    return _render(
        request,
        "edit.html",
        user,
        active="mine",
        video=video,
        video_data=video.model_dump(mode="json"),
        visibilities=visibility_choices(),
        groups=await groups_service.list_groups(sessions=adapters.sessions, owner_id=user.id),
    )


@router.get("/me/tags")
async def your_tags(request: Request, adapters: AdaptersDep, user: OptionalUser) -> Response:
    """The caller's taste tags: mute, unmute, follow (recs_tags.js calls the API)."""
    if user is None:
        return _login_redirect(request)
    tags = await recs_reads.user_tags(sessions=adapters.sessions, user_id=user.id)
    return _render(request, "your_tags.html", user, active="tags", tags=tags)


@router.get("/me/history")
async def history(
    request: Request, adapters: AdaptersDep, user: OptionalUser, page: PageNumber = 1
) -> Response:
    """What the caller watched, last watched first, with progress (the API's read, so their
    latest watches show at once); history.js removes one or clears all through the API."""
    if user is None:
        return _login_redirect(request)
    entries, total = await activity_reads.history_page(
        sessions=adapters.sessions,
        counters=adapters.counters,
        user_id=user.id,
        page=page,
        per_page=HISTORY_PER_PAGE,
        clip_seconds=adapters.settings.clip_seconds,
    )
    items = []
    for entry in entries:  # the cards' posters, signed for this viewer
        video = await _visible_video(str(entry.video_id), request, adapters, user)
        items.append({"entry": entry, "video": video})
    pages = max(1, math.ceil(total / HISTORY_PER_PAGE))
    pager = {
        "page": page,
        "pages": pages,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
    }
    return _render(
        request, "history.html", user, active="history", items=items, total=total, pager=pager
    )


@router.get("/me/groups")
async def groups(request: Request, user: OptionalUser) -> Response:
    """The caller's share groups (create, rename, delete, add and remove members; groups.js
    calls the API) and the groups of others they are in."""
    if user is None:
        return _login_redirect(request)
    return _render(request, "groups.html", user, active="groups")


@router.get("/search")
async def search(
    request: Request,
    adapters: AdaptersDep,
    user: OptionalUser,
    q: str = "",
    page: PageNumber = 1,
    sort: str = "",
    duration: str = "",
    date: str = "",
) -> Response:
    """Results with highlighted snippets and filters; search.js adds suggestions as you type."""
    q = q[:200]  # a page answers a too-long query with its start, not an error
    form = {"q": q, "sort": sort, "duration": duration, "date": date}
    params = page_params(
        q=q, page=page, per_page=SEARCH_PER_PAGE, sort=sort, duration=duration, date=date
    )
    results: SearchPageOut | None = None
    error: str | None = None
    try:
        viewer_id = user.id if user else None
        results = await search_service.search_videos(
            index=adapters.search,
            params=params,
            viewer_id=viewer_id,
            now=utcnow(),
            links=media_links(viewer_for(request, adapters, None)),
            groups=await search_service.viewer_groups(
                sessions=adapters.sessions, viewer_id=viewer_id
            ),
        )
    except InvalidInput as exc:
        error = exc.message
    pages = max(1, math.ceil(results.total / SEARCH_PER_PAGE)) if results else 1
    return _render(
        request,
        "search.html",
        user,
        active="search",
        q=q,
        form=form,
        results=results,
        error=error,
        durations=list(DurationBucket),
        dates=list(DateWindow),
        pager={"page": page, "pages": pages},
        prev_url=_search_url(form, page - 1) if page > 1 else None,
        next_url=_search_url(form, page + 1) if page < pages else None,
    )


def _search_url(form: dict[str, str], page: int) -> str:
    """The same search on another page; empty choices stay out of the URL."""
    return "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "page": page})
