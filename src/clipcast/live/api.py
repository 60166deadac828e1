"""Routes of live streams: create, read, rotate the key, end, and `current`, the one call a
viewer makes to the service."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.core.errors import Conflict
from clipcast.live import chat_service, service
from clipcast.live.chat_wiring import chat_deps
from clipcast.live.finishing import end_stream
from clipcast.live.schemas import CurrentOut, SrtOut, StreamIn, StreamOut
from clipcast.live.srt import NoSrt
from clipcast.live.wiring import hub_of, start_srt
from clipcast.web.deps import AdaptersDep, CurrentUser, OptionalUser, base_url, viewer_for

router = APIRouter(prefix="/api/v1/streams", tags=["live"])


def _links(request: Request, adapters: Adapters) -> service.Links:
    return service.Links(base_url=base_url(request, adapters))


@router.post("", status_code=201)
async def create_stream(
    body: StreamIn, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> StreamOut:
    """A stream and its video (state `live`, searchable at once). The answer carries the
    stream key, shown this once: an encoder sends it to push the feed."""
    return await service.create_stream(
        sessions=adapters.sessions,
        owner_id=user.id,
        body=body,
        links=_links(request, adapters),
        now=utcnow(),
    )


@router.get("/{video_id}")
async def get_stream(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> StreamOut:
    """The streamer's view: feed state, clips so far, the last feed error."""
    return await service.get_stream(
        sessions=adapters.sessions,
        video_id=video_id,
        owner_id=user.id,
        links=_links(request, adapters),
    )


@router.post("/{video_id}/key")
async def rotate_key(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> StreamOut:
    """A new stream key; the old one stops working, and so does a feed sent with it."""
    return await service.rotate_key(
        sessions=adapters.sessions,
        video_id=video_id,
        owner_id=user.id,
        links=_links(request, adapters),
        now=utcnow(),
    )


@router.post("/{video_id}/end")
async def end(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> StreamOut:
    """End the stream: the feed stops after its last clip, the recording becomes a video."""
    links = _links(request, adapters)
    await service.get_stream(
        sessions=adapters.sessions, video_id=video_id, owner_id=user.id, links=links
    )
    await end_stream(
        sessions=adapters.sessions,
        storage=adapters.storage,
        hub=hub_of(request.app.state),
        video_id=video_id,
        clip_seconds=adapters.settings.clip_seconds,
    )
    await chat_service.stream_ended(deps=chat_deps(request.app.state), video_id=video_id)
    return await service.get_stream(
        sessions=adapters.sessions, video_id=video_id, owner_id=user.id, links=links
    )


@router.post("/{video_id}/srt")
async def open_srt(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: CurrentUser
) -> SrtOut:
    """Open an SRT listener for an encoder (OBS, ffmpeg): its URL carries a passphrase made
    for it, without which SRT refuses the caller. It takes feeds until the stream ends or
    nobody called for two minutes; asking again gives the same one while it listens."""
    await service.get_stream(
        sessions=adapters.sessions,
        video_id=video_id,
        owner_id=user.id,
        links=_links(request, adapters),
    )
    try:
        endpoint = start_srt(
            hub=hub_of(request.app.state),
            settings=adapters.settings,
            sessions=adapters.sessions,
            storage=adapters.storage,
            video_id=video_id,
        )
    except NoSrt as refused:
        raise Conflict(str(refused), code="srt_unavailable") from None
    host = request.url.hostname or adapters.settings.live_srt_host
    return SrtOut(url=endpoint.url(host), port=endpoint.port, passphrase=endpoint.passphrase)


@router.get("/{video_id}/current")
async def current(
    video_id: uuid.UUID,
    request: Request,
    response: Response,
    adapters: AdaptersDep,
    user: OptionalUser,
) -> CurrentOut:
    """The newest clip document's URL (signed when the stream is not public). A player
    reads everything after it from the CDN, following each document's `next`."""
    response.headers["Cache-Control"] = "no-store"
    return await service.current(
        sessions=adapters.sessions,
        video_id=video_id,
        viewer=viewer_for(request, adapters, user),
        clip_seconds=adapters.settings.clip_seconds,
    )
