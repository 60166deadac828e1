"""The chat WebSocket of a stream: everyone who may watch reads (anonymous visitors too); a
logged-in user posts. Authenticated by the session cookie (or a bearer token, for scripts);
the Origin, when a browser sends one, must be this site's.

Client → server, JSON text: `{"type": "post", "text", "nonce"?, "position"?: {"stream",
"index", "offset"}}`; without a position the message is placed at the moment being recorded
(the streamer's page). Server → client: `hello` (who you are, whether you may post, the recent
chat), `message`, `deleted`, `restricted`, `lifted`, `ended`, `recent` (after a resync), and
for each post `accepted` (with the message) or `refused` (code, reason, retry_after).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from typing import Any

import pydantic
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from clipcast.accounts.service import user_for_token
from clipcast.adapters.chat.base import ChatStoreUnavailable, EventType
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.core.errors import ClipcastError, NotFound
from clipcast.live import chat_service
from clipcast.live.chat_rules import MAX_CHARS
from clipcast.live.chat_schemas import PostIn
from clipcast.live.chat_service import ChatDeps, ChatRefused, Claim, Room, Sender
from clipcast.live.chat_sync import Position
from clipcast.live.chat_wiring import chat_deps, rooms_of
from clipcast.live.ws import _same_origin
from clipcast.web.deps import SESSION_COOKIE

log = logging.getLogger(__name__)

router = APIRouter(tags=["live"])

MAX_FRAME_BYTES = 4096
HELLO_MESSAGES = 50
# A socket sending faster than this is a script gone wrong (or worse): it is closed. The flood
# limit (3 messages in 2 s) is what a person meets, and refusals are answered, not counted.
MAX_FRAMES_PER_SECOND = 20
CLOSE_POLICY, CLOSE_TOO_LARGE, CLOSE_NOT_FOUND = 1008, 1009, 4404


@router.websocket("/api/v1/streams/{video_id}/chat")
async def chat_socket(websocket: WebSocket, video_id: uuid.UUID) -> None:
    adapters: Adapters = websocket.app.state.adapters
    await websocket.accept()
    if not _same_origin(websocket, adapters.settings.public_url):
        refusal = _error("bad_origin", "This page may not use this chat.")
        await _close(websocket, refusal, CLOSE_POLICY)
        return
    deps = chat_deps(websocket.app.state)
    try:
        room = await chat_service.open_room(
            deps=deps, video_id=video_id, sender=await _sender(websocket, adapters)
        )
    except NotFound as missing:
        await _close(websocket, _error(missing.code, missing.message), CLOSE_NOT_FOUND)
        return
    async with rooms_of(websocket.app.state).joined(video_id) as outbox:
        await _send(websocket, await _hello(deps, room))
        await _serve(websocket, deps, room, outbox)


async def _sender(websocket: WebSocket, adapters: Adapters) -> Sender | None:
    scheme, _, bearer = websocket.headers.get("authorization", "").partition(" ")
    token = bearer.strip() if scheme.lower() == "bearer" else ""
    token = token or websocket.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    user = await user_for_token(sessions=adapters.sessions, token=token, now=utcnow())
    return Sender(user.id, user.username) if user else None


async def _hello(deps: ChatDeps, room: Room) -> dict[str, Any]:
    recent = await deps.store.recent(room.video_id, HELLO_MESSAGES)
    restriction = None
    if room.sender is not None:
        found = await deps.store.restriction(room.video_id, str(room.sender.id))
        if found is not None and found.active(utcnow().timestamp()):
            restriction = {"until": found.until}
    you = None if room.sender is None else {"id": str(room.sender.id), "name": room.sender.name}
    return {
        "type": "hello",
        "stream": str(room.video_id),
        "you": you,
        "owner": room.is_owner,
        "can_post": room.sender is not None and not room.ended,
        "ended": room.ended,
        "restricted": restriction,
        "max_chars": MAX_CHARS,
        "messages": [m.to_json() for m in recent],
    }


async def _serve(
    websocket: WebSocket, deps: ChatDeps, room: Room, outbox: asyncio.Queue[dict[str, Any]]
) -> None:
    """Read posts and send events until either side is done; one task sends, so frames never
    interleave."""
    writer = asyncio.create_task(_write(websocket, deps, room, outbox))
    try:
        await _read(websocket, deps, room, outbox)
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _write(
    websocket: WebSocket, deps: ChatDeps, room: Room, outbox: asyncio.Queue[dict[str, Any]]
) -> None:
    while True:
        event = await outbox.get()
        if event.get("type") == EventType.ENDED:  # posts are refused from now on, here too
            deps.facts.forget(room.video_id)
        if event.get("type") == EventType.RESYNC:
            recent = await deps.store.recent(room.video_id, HELLO_MESSAGES)
            event = {"type": "recent", "messages": [m.to_json() for m in recent]}
        if not await _send(websocket, event):
            return


async def _read(
    websocket: WebSocket, deps: ChatDeps, room: Room, outbox: asyncio.Queue[dict[str, Any]]
) -> None:
    arrivals: deque[float] = deque(maxlen=MAX_FRAMES_PER_SECOND)
    while True:
        try:
            frame = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if frame["type"] == "websocket.disconnect":
            return
        arrivals.append(time.monotonic())
        if len(arrivals) == arrivals.maxlen and arrivals[-1] - arrivals[0] < 1.0:
            reason = f"More than {MAX_FRAMES_PER_SECOND} messages a second."
            await _close(websocket, _error("too_many_frames", reason), CLOSE_POLICY)
            return
        text = frame.get("text")
        if text is None or len(text.encode()) > MAX_FRAME_BYTES:
            reason = f"Send JSON text frames of at most {MAX_FRAME_BYTES} bytes."
            await _close(websocket, _error("frame_too_large", reason), CLOSE_TOO_LARGE)
            return
        await outbox.put(await _answer(deps, room, text))


async def _answer(deps: ChatDeps, room: Room, text: str) -> dict[str, Any]:
    try:
        post = PostIn.model_validate(json.loads(text))
    except (ValueError, RecursionError, pydantic.ValidationError):
        return _refusal(None, "bad_message", 'Send {"type": "post", "text": "…"}.')
    claim = None
    if post.position is not None:
        claim = Claim(post.position.stream, Position(post.position.index, post.position.offset))
    try:
        message = await chat_service.post(
            deps=deps, room=room, text=post.text, claim=claim, now=utcnow()
        )
    except ChatRefused as no:
        return _refusal(post.nonce, no.code, no.message, no.retry_after)
    except ClipcastError as no:  # the stream is gone
        return _refusal(post.nonce, no.code, no.message)
    except ChatStoreUnavailable:
        return _refusal(post.nonce, "chat_unavailable", "The chat is unavailable: try again.")
    return {"type": "accepted", "nonce": post.nonce, "message": message.to_json()}


def _refusal(
    nonce: str | None, code: str, message: str, retry_after: float | None = None
) -> dict[str, Any]:
    refusal: dict[str, Any] = {"type": "refused", "nonce": nonce, "code": code, "message": message}
    if retry_after is not None:
        refusal["retry_after"] = round(retry_after, 3)
    return refusal


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


async def _send(websocket: WebSocket, message: dict[str, Any]) -> bool:
    if websocket.client_state != WebSocketState.CONNECTED:
        return False
    try:
        await websocket.send_json(message)
    except (RuntimeError, WebSocketDisconnect, OSError):
        return False
    return True


async def _close(websocket: WebSocket, message: dict[str, Any], code: int) -> None:
    await _send(websocket, message)
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close(code)
