"""tus 1.0 routes at /api/v1/uploads: core, creation, termination, expiration."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime

from fastapi import APIRouter, Request, Response
from starlette.requests import ClientDisconnect

from clipcast.core.clock import utcnow
from clipcast.uploads import local_staging, service, tus
from clipcast.uploads.models import Upload
from clipcast.web.deps import AdaptersDep, CurrentUser

router = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])


def _tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": tus.TUS_VERSION, "Cache-Control": "no-store", **extra}


def _state_headers(upload: Upload) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Upload-Metadata": tus.encode_metadata(service.client_meta(upload)),
    }
    if upload.completed_at is None:
        headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    return headers


@router.options("")
@router.options("/{upload_id}")
async def capabilities(adapters: AdaptersDep) -> Response:
    return Response(
        status_code=204,
        headers=_tus_headers(
            **{
                "Tus-Version": tus.TUS_VERSION,
                "Tus-Extension": tus.EXTENSIONS,
                "Tus-Max-Size": str(adapters.settings.max_upload_bytes),
            }
        ),
    )


@router.post("")
async def create(request: Request, adapters: AdaptersDep, user: CurrentUser) -> Response:
    tus.check_version(request.headers.get("tus-resumable"))
    settings = adapters.settings
    upload = await service.create_upload(
        sessions=adapters.sessions,
        storage=adapters.storage,
        upload_dir=settings.upload_dir,
        staging=settings.resolved_upload_staging(),
        owner_id=user.id,
        length=tus.parse_length(request.headers.get("upload-length"), "Upload-Length"),
        meta=tus.parse_metadata(request.headers.get("upload-metadata")),
        max_bytes=settings.max_upload_bytes,
        expiry=timedelta(seconds=settings.upload_expiry_seconds),
        now=utcnow(),
        node=settings.resolved_node(),
    )
    location = str(request.url_for("upload_head", upload_id=upload.id))
    if settings.public_url:
        location = f"{settings.public_url.rstrip('/')}/api/v1/uploads/{upload.id}"
    return Response(
        status_code=201,
        headers=_tus_headers(
            Location=location,
            **{"Upload-Expires": format_datetime(upload.expires_at, usegmt=True)},
        ),
    )


@router.head("/{upload_id}", name="upload_head")
async def head(
    upload_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> Response:
    tus.check_version(request.headers.get("tus-resumable"))
    upload = await service.get_upload(
        sessions=adapters.sessions, upload_id=upload_id, owner_id=user.id, now=utcnow()
    )
    await _finish(adapters, upload_id)  # completes work a crash may have left half done
    return Response(status_code=200, headers=_tus_headers(**_state_headers(upload)))


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        return  # tus keeps what arrived; the client resumes from the new offset


@router.patch("/{upload_id}")
async def patch(
    upload_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> Response:
    tus.check_version(request.headers.get("tus-resumable"))
    if request.headers.get("content-type", "").split(";")[0].strip() != tus.OFFSET_CONTENT_TYPE:
        raise tus.UnsupportedMediaType(f"Content-Type must be {tus.OFFSET_CONTENT_TYPE}.")
    offset = tus.parse_length(request.headers.get("upload-offset"), "Upload-Offset")
    declared = request.headers.get("content-length")
    upload = await service.get_upload(
        sessions=adapters.sessions, upload_id=upload_id, owner_id=user.id, now=utcnow()
    )
    new_offset = await service.append(
        sessions=adapters.sessions,
        storage=adapters.storage,
        upload=upload,
        upload_dir=adapters.settings.upload_dir,
        node=adapters.settings.resolved_node(),
        offset=offset,
        declared_length=int(declared) if declared and declared.isdigit() else None,
        body=_body(request),
    )
    await _finish(adapters, upload_id)
    headers = {"Upload-Offset": str(new_offset)}
    if new_offset < upload.length:
        headers["Upload-Expires"] = format_datetime(upload.expires_at, usegmt=True)
    return Response(status_code=204, headers=_tus_headers(**headers))


@router.delete("/{upload_id}")
async def terminate(
    upload_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> Response:
    tus.check_version(request.headers.get("tus-resumable"))
    upload = await service.get_upload(
        sessions=adapters.sessions, upload_id=upload_id, owner_id=user.id, now=utcnow()
    )
    settings = adapters.settings
    if upload.completed_at is None and not service.in_storage(upload):
        # Its partial file must go with it, not be left behind on another process's disk.
        local_staging.check_held_here(upload, settings.upload_dir, settings.resolved_node())
    await service.terminate(
        sessions=adapters.sessions,
        storage=adapters.storage,
        upload_dir=settings.upload_dir,
        upload=upload,
    )
    return Response(status_code=204, headers=_tus_headers())


async def _finish(adapters: AdaptersDep, upload_id: uuid.UUID) -> None:
    await service.finish_if_complete(
        sessions=adapters.sessions,
        storage=adapters.storage,
        upload_dir=adapters.settings.upload_dir,
        upload_id=upload_id,
        now=utcnow(),
    )
