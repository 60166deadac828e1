"""Pages of live streams: go live (the streamer's), and watch live (everyone's)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from clipcast.core.errors import NotFound
from clipcast.groups import service as groups_service
from clipcast.videos import service as videos
from clipcast.videos.lifecycle import VideoState
from clipcast.web.deps import AdaptersDep, OptionalUser, viewer_for
from clipcast.web.pages import _login_redirect, _render, visibility_choices

router = APIRouter(include_in_schema=False)


@router.get("/go-live")
async def go_live(request: Request, adapters: AdaptersDep, user: OptionalUser) -> Response:
    """Set up a stream (title, tags, visibility, poster), then send the camera or a screen."""
    if user is None:
        return _login_redirect(request)
    return _render(
        request,
        "go_live.html",
        user,
        active="live",
        visibilities=visibility_choices(),
        groups=await groups_service.list_groups(sessions=adapters.sessions, owner_id=user.id),
    )


@router.get("/live/{video_id}")
async def watch_live(
    video_id: str, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> Response:
    """The live player; once the stream has become a video, its watch page."""
    try:
        video = await videos.get_video(
            sessions=adapters.sessions,
            video_id=uuid.UUID(video_id),
            viewer=viewer_for(request, adapters, user),
        )
    except (ValueError, NotFound):
        return _render(request, "not_found.html", user, status=404)
    if video.state != VideoState.LIVE:
        return RedirectResponse(f"/watch/{video.id}", status_code=303)
    return _render(request, "live_watch.html", user, video=video)
