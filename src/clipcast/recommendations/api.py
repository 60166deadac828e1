"""Routes of recommendations: the caller's rows, a video's up next, and the caller's taste tags
("your tags": mute, unmute, follow)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from clipcast.core.clock import utcnow
from clipcast.core.errors import NotFound
from clipcast.recommendations import reads, service
from clipcast.recommendations.schemas import (
    RecommendationsOut,
    TagAddIn,
    TagEditIn,
    TagsOut,
    UpNextOut,
)
from clipcast.videos.access import visible_video
from clipcast.videos.tags import normalise_tags
from clipcast.web.deps import AdaptersDep, CurrentUser, OptionalUser, viewer_for

router = APIRouter(prefix="/api/v1", tags=["recommendations"])


@router.get("/me/recommendations")
async def my_recommendations(
    request: Request, adapters: AdaptersDep, user: CurrentUser
) -> RecommendationsOut:
    """Rows by reason, each item with its reason; popular videos until there is a list."""
    return await reads.recommendations(
        sessions=adapters.sessions,
        counters=adapters.counters,
        viewer=viewer_for(request, adapters, user),
    )


@router.get("/videos/{video_id}/up-next")
async def up_next(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> UpNextOut:
    """What viewers of this video went on to watch, then popular videos of its tags."""
    viewer = viewer_for(request, adapters, user)
    async with adapters.sessions() as session:
        await visible_video(session, video_id, viewer.user_id)  # 404 for a hidden video
    items = await reads.up_next(sessions=adapters.sessions, video_id=video_id, viewer=viewer)
    return UpNextOut(items=items)


@router.get("/me/tags")
async def my_tags(adapters: AdaptersDep, user: CurrentUser) -> TagsOut:
    return TagsOut(items=await reads.user_tags(sessions=adapters.sessions, user_id=user.id))


def _tag(raw: str) -> str:
    tags = normalise_tags([raw])
    if not tags:
        raise NotFound("No such tag.", code="tag_not_found")
    return tags[0]


@router.put("/me/tags/{tag}", status_code=204)
async def edit_tag(tag: str, body: TagEditIn, adapters: AdaptersDep, user: CurrentUser) -> Response:
    """`{"muted": true}`: not interested in #tag; `{"muted": false}`: interested again;
    `{"added": true|false}`: follow or unfollow it by hand."""
    await service.edit_tag(
        sessions=adapters.sessions,
        user_id=user.id,
        tag=_tag(tag),
        muted=body.muted,
        added=body.added,
        now=utcnow(),
    )
    return Response(status_code=204)


@router.post("/me/tags", status_code=204)
async def follow_tag(body: TagAddIn, adapters: AdaptersDep, user: CurrentUser) -> Response:
    await service.edit_tag(
        sessions=adapters.sessions,
        user_id=user.id,
        tag=_tag(body.tag),
        muted=False,
        added=True,
        now=utcnow(),
    )
    return Response(status_code=204)
