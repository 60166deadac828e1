"""Routes of videos: metadata, listings, edit, delete, the clip chain."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request

from clipcast.core.clock import utcnow
from clipcast.core.errors import Unauthorized
from clipcast.videos import service
from clipcast.videos.schemas import ClipChainOut, VideoOut, VideoPage, VideoPatch
from clipcast.web.deps import AdaptersDep, CurrentUser, OptionalUser, viewer_for

router = APIRouter(prefix="/api/v1/videos", tags=["videos"])


@router.get("")
async def list_videos(
    request: Request,
    adapters: AdaptersDep,
    user: OptionalUser,
    mine: bool = False,
    page: int = Query(1, ge=1),
    per_page: int = Query(24, ge=1, le=100),
) -> VideoPage:
    """Public ready videos, newest first; `?mine=true` lists all of the caller's own."""
    if mine and user is None:
        raise Unauthorized("Log in to list your videos.", code="login_required")
    return await service.list_videos(
        sessions=adapters.sessions,
        viewer=viewer_for(request, adapters, user),
        mine=mine,
        page=page,
        per_page=per_page,
    )


@router.get("/{video_id}")
async def get_video(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> VideoOut:
    return await service.get_video(
        sessions=adapters.sessions, video_id=video_id, viewer=viewer_for(request, adapters, user)
    )


@router.patch("/{video_id}")
async def patch_video(
    video_id: uuid.UUID,
    body: VideoPatch,
    request: Request,
    adapters: AdaptersDep,
    user: CurrentUser,
) -> VideoOut:
    return await service.update_video(
        sessions=adapters.sessions,
        video_id=video_id,
        patch=body,
        viewer=viewer_for(request, adapters, user),
    )


@router.delete("/{video_id}", status_code=204)
async def delete_video(video_id: uuid.UUID, adapters: AdaptersDep, user: CurrentUser) -> None:
    await service.delete_video(
        sessions=adapters.sessions,
        storage=adapters.storage,
        video_id=video_id,
        user_id=user.id,
        now=utcnow(),
    )


@router.get("/{video_id}/clips")
async def clip_chain(
    video_id: uuid.UUID,
    request: Request,
    adapters: AdaptersDep,
    user: OptionalUser,
    resolution: int = Query(..., ge=0),
    start: int = Query(0, ge=0),
    limit: int = Query(5, ge=1, le=100),
) -> ClipChainOut:
    return await service.clip_chain(
        sessions=adapters.sessions,
        video_id=video_id,
        resolution=resolution,
        start=start,
        limit=limit,
        viewer=viewer_for(request, adapters, user),
    )
