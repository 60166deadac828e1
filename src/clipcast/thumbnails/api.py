"""Routes of thumbnails: the owner's custom poster."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from clipcast.core.clock import utcnow
from clipcast.core.errors import TooLarge
from clipcast.thumbnails import service
from clipcast.thumbnails.formats import MAX_POSTER_BYTES
from clipcast.videos import service as videos
from clipcast.videos.schemas import VideoOut
from clipcast.web.deps import AdaptersDep, CurrentUser, viewer_for

router = APIRouter(prefix="/api/v1/videos", tags=["thumbnails"])

_TOO_LARGE = f"A poster may be at most {MAX_POSTER_BYTES // (1024 * 1024)} MiB."


@router.put(
    "/{video_id}/poster",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                t: {"schema": {"type": "string", "format": "binary"}}
                for t in ("image/jpeg", "image/png", "image/webp")
            },
        }
    },
)
async def put_poster(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> VideoOut:
    """Set the video's poster from an image sent as the raw request body (not a form).

    JPEG, PNG or WebP, told by its bytes (Content-Type is not trusted), at most 10 MiB and 8K
    pixels. It is re-encoded to our own card and player sizes, without its metadata; the
    thumbnailer never replaces it. Only the owner may; for anyone else the video does not exist.
    """
    await service.set_custom_poster(
        sessions=adapters.sessions,
        storage=adapters.storage,
        video_id=video_id,
        user_id=user.id,
        data=await _read_capped(request, MAX_POSTER_BYTES),
        now=utcnow(),
    )
    return await videos.get_video(
        sessions=adapters.sessions, video_id=video_id, viewer=viewer_for(request, adapters, user)
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to exceed `limit` (no more is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(_TOO_LARGE, code="poster_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(_TOO_LARGE, code="poster_too_large")
    return bytes(body)
