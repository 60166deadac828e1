"""The CDN route of the embedded mode: `/cdn/videos/{id}/…` and `/cdn/s/{token}/videos/{id}/…`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from clipcast.adapters.storage.base import InvalidKey, ObjectMissing, ObjectStorage, check_key
from clipcast.cdn.caching import cache_control, content_type_for
from clipcast.cdn.ranges import Unsatisfiable, etag_matches, parse_range, quote_etag
from clipcast.cdn.service import media_access
from clipcast.core.clock import utcnow
from clipcast.core.errors import NotFound
from clipcast.web.deps import AdaptersDep

router = APIRouter(prefix="/cdn", tags=["cdn"])


@router.api_route("/videos/{video_id}/{rest:path}", methods=["GET", "HEAD"])
async def public_media(
    video_id: uuid.UUID, rest: str, request: Request, adapters: AdaptersDep
) -> Response:
    return await _serve(request, adapters, video_id, rest, token=None)


@router.api_route("/s/{token}/videos/{video_id}/{rest:path}", methods=["GET", "HEAD"])
async def signed_media(
    token: str, video_id: uuid.UUID, rest: str, request: Request, adapters: AdaptersDep
) -> Response:
    return await _serve(request, adapters, video_id, rest, token=token)


async def _serve(
    request: Request, adapters: AdaptersDep, video_id: uuid.UUID, rest: str, token: str | None
) -> Response:
    access = await media_access(
        sessions=adapters.sessions,
        secret=adapters.secret,
        video_id=video_id,
        token=token,
        now=utcnow(),
    )
    if access is None:
        # 404 rather than 403 for a missing or bad token: it does not reveal that the video exists.
        raise NotFound("No such media.", code="media_not_found")
    try:
        key = check_key(f"videos/{video_id}/{rest}")
    except InvalidKey:
        raise NotFound("No such media.", code="media_not_found") from None
    info = await adapters.storage.stat(key)
    if info is None:
        raise NotFound("No such media.", code="media_not_found")
    etag = quote_etag(info.etag)
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control(key, public=access),
        "Accept-Ranges": "bytes",
        "Content-Type": content_type_for(key),
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    try:
        span = parse_range(request.headers.get("range"), info.size)
    except Unsatisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{info.size}"})
    start, end = span if span else (0, info.size - 1)
    status = 206 if span else 200
    if span:
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or info.size == 0:
        return Response(status_code=status, headers=headers)
    return StreamingResponse(
        _stream(adapters.storage, key, start, end), status_code=status, headers=headers
    )


async def _stream(storage: ObjectStorage, key: str, start: int, end: int) -> AsyncIterator[bytes]:
    try:
        async for chunk in storage.read_range(key, start, end):
            yield chunk
    except ObjectMissing:
        return  # deleted mid-response; the client sees a short body and retries
