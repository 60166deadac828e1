"""The ingest WebSocket: a browser (MediaRecorder) or an encoder (`clipcast live push`) sends
the feed as binary messages; the server answers with JSON status messages.

Authenticated by the stream key (`Authorization: Bearer live_…`) or by the owner's session
cookie; the Origin, when a browser sends one, must be this site's (another site's page cannot
use a visitor's cookie). Failures are told in a last JSON message before the close.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from clipcast.accounts.service import user_for_token
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.core.errors import Unauthorized
from clipcast.live import service
from clipcast.live.failures import FeedFailed
from clipcast.live.hub import until
from clipcast.live.ingest import run_feed
from clipcast.live.wiring import TAKE_OVER_GRACE, hub_of, ingest_config, publish_deps
from clipcast.web.deps import SESSION_COOKIE

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

# Close codes (RFC 6455 and the private 4000s): what a client can act on.
CLOSE_CODES = {
    "bad_origin": 1008,
    "bad_stream_key": 1008,
    "frame_too_large": 1009,
    "bad_feed": 1003,
    "keyframes": 1003,
    "idle": 4408,
    "no_data": 4408,
    "stalled": 1011,
    "superseded": 4409,
    "stream_ended": 4410,
}


@router.websocket("/api/v1/streams/{video_id}/ingest")
async def ingest(websocket: WebSocket, video_id: uuid.UUID) -> None:
    adapters: Adapters = websocket.app.state.adapters
    await websocket.accept()
    try:
        if not _same_origin(websocket, adapters.settings.public_url):
            raise FeedFailed("bad_origin", "This page may not send a feed here.")
        await _authorize(websocket, adapters, video_id)
        clips = await _run(websocket, adapters, video_id)
        await _close(websocket, {"type": "ended", "clips": clips}, 1000)
    except FeedFailed as failed:
        log.info("feed into stream %s stopped: %s: %s", video_id, failed.code, failed.message)
        message = {"type": "error", "code": failed.code, "message": failed.message}
        await _close(websocket, message, CLOSE_CODES.get(failed.code, 1011))


async def _authorize(websocket: WebSocket, adapters: Adapters, video_id: uuid.UUID) -> None:
    bearer = _bearer(websocket)
    key = bearer if bearer and bearer.startswith(service.KEY_PREFIX) else None
    # Not a stream key: the owner's API token (a script), or the owner's session (the page).
    token = bearer if key is None else None
    if token is None and key is None:
        token = websocket.cookies.get(SESSION_COOKIE)
    user_id = None
    if token:
        user = await user_for_token(sessions=adapters.sessions, token=token, now=utcnow())
        user_id = user.id if user else None
    try:
        await service.authorize_feed(
            sessions=adapters.sessions, video_id=video_id, key=key, user_id=user_id
        )
    except Unauthorized as refused:
        raise FeedFailed(refused.code, refused.message) from None


async def _run(websocket: WebSocket, adapters: Adapters, video_id: uuid.UUID) -> int:
    hub = hub_of(websocket.app.state)
    settings = adapters.settings
    stop = await hub.take_over(video_id, TAKE_OVER_GRACE)
    try:
        return await run_feed(
            deps=publish_deps(
                sessions=adapters.sessions,
                storage=adapters.storage,
                hub=hub,
                clip_seconds=settings.clip_seconds,
            ),
            config=ingest_config(settings),
            video_id=video_id,
            source=until(_frames(websocket, settings.live_max_frame_bytes), stop),
            notify=lambda message: _send(websocket, message),
        )
    finally:
        hub.release(video_id)


async def _frames(websocket: WebSocket, max_bytes: int) -> AsyncIterator[bytes]:
    """The feed's binary messages until the client closes or says `{"type": "end"}`."""
    while True:
        try:
            message = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            if '"end"' in (message.get("text") or ""):
                return
            continue
        if len(data) > max_bytes:
            raise FeedFailed(
                "frame_too_large",
                f"A message of {len(data)} bytes; the limit is {max_bytes} (send smaller chunks).",
            )
        if data:
            yield data


def _bearer(websocket: WebSocket) -> str | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _same_origin(websocket: WebSocket, public_url: str) -> bool:
    """No Origin (not a browser), or this site's: the public URL's, else the Host asked for."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if public_url:
        expected = "://".join(urlsplit(public_url)[:2]).lower()
        return origin.lower() == expected
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    # The status channel is best effort: a streamer who stopped listening still streams.
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.send_json(message)


async def _close(websocket: WebSocket, message: dict[str, Any], code: int) -> None:
    await _send(websocket, message)
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code)
