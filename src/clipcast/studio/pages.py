"""The studio page of a video: its analytics drawn as charts (studio.js), for its owner only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clipcast.activity.rules import VIEW_CLIPS
from clipcast.web.deps import AdaptersDep, OptionalUser
from clipcast.web.pages import _login_redirect, _render, _visible_video

router = APIRouter(include_in_schema=False)


@router.get("/videos/{video_id}/studio")
async def studio(
    video_id: str, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> Response:
    """Views over time, reactions, watch time and retention; anyone but the owner gets a 404."""
    if user is None:
        return _login_redirect(request)
    video = await _visible_video(video_id, request, adapters, user)
    if video is None or video.owner.id != user.id:
        return _render(request, "not_found.html", user, status=404)
    return _render(
        request,
        "studio.html",
        user,
        active="mine",
        video=video,
        clip_seconds=adapters.settings.clip_seconds,
        view_seconds=VIEW_CLIPS * adapters.settings.clip_seconds,
    )
