"""Routes of live chat besides its socket: the streamer's moderation (delete a message, time a
user out, ban, lift), and the recording's chat for its replay on the watch page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request, Response

from clipcast.core.clock import utcnow
from clipcast.live import chat_service
from clipcast.live.chat_schemas import ReplayOut, RestrictIn, RestrictionOut
from clipcast.live.chat_wiring import chat_deps
from clipcast.web.deps import AdaptersDep, CurrentUser, OptionalUser

router = APIRouter(prefix="/api/v1", tags=["live"])


@router.delete("/streams/{video_id}/chat/{message_id}", status_code=204)
async def delete_message(
    video_id: uuid.UUID, message_id: uuid.UUID, request: Request, user: CurrentUser
) -> Response:
    """Delete a chat message: its sender or the streamer may."""
    await chat_service.delete_message(
        deps=chat_deps(request.app.state),
        video_id=video_id,
        message_id=message_id,
        by=user.id,
        now=utcnow(),
    )
    return Response(status_code=204)


@router.put("/streams/{video_id}/chat/restrictions/{user_id}")
async def restrict(
    video_id: uuid.UUID, user_id: uuid.UUID, body: RestrictIn, request: Request, user: CurrentUser
) -> RestrictionOut:
    """The streamer times a user out (`seconds`) or bans them (`seconds` null) from posting
    in this stream's chat."""
    restriction = await chat_service.restrict(
        deps=chat_deps(request.app.state),
        video_id=video_id,
        owner_id=user.id,
        user_id=user_id,
        seconds=body.seconds,
        now=utcnow(),
    )
    until = restriction.until
    return RestrictionOut(
        user_id=user_id, until=None if until is None else datetime.fromtimestamp(until, UTC)
    )


@router.delete("/streams/{video_id}/chat/restrictions/{user_id}", status_code=204)
async def lift(
    video_id: uuid.UUID, user_id: uuid.UUID, request: Request, user: CurrentUser
) -> Response:
    """End a user's timeout or ban."""
    await chat_service.lift(
        deps=chat_deps(request.app.state), video_id=video_id, owner_id=user.id, user_id=user_id
    )
    return Response(status_code=204)


@router.get("/videos/{video_id}/chat")
async def replay(
    video_id: uuid.UUID,
    adapters: AdaptersDep,
    user: OptionalUser,
    from_seconds: float = Query(0.0, alias="from", ge=0, le=10**7),
    after: uuid.UUID | None = None,
    limit: int = Query(chat_service.REPLAY_LIMIT, ge=1, le=chat_service.REPLAY_LIMIT),
) -> ReplayOut:
    """A recorded stream's chat from `from` seconds on (or after the message `after`), in the
    order it replays; each message's `media_time` is where playback shows it. A video that
    was never live answers `stream: false` and no messages."""
    page = await chat_service.replay(
        sessions=adapters.sessions,
        video_id=video_id,
        viewer_id=user.id if user else None,
        from_seconds=from_seconds,
        after=after,
        limit=limit,
    )
    messages = [ReplayOut.item(i.message.to_json(), i.media_time) for i in page.items]
    return ReplayOut(
        stream=page.stream,
        messages=messages,
        next=str(messages[-1].id) if page.more and messages else None,
    )
