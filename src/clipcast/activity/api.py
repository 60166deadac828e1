"""Routes of activity: post a batch of events, a video's stats, the caller's history."""

from __future__ import annotations

import hmac
import time
import uuid

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.accounts.service import user_for_token
from clipcast.activity import reads, service
from clipcast.activity.gate import IngestGate
from clipcast.activity.limits import RateLimits
from clipcast.activity.schemas import (
    AcceptedOut,
    HistoryItemOut,
    HistoryPage,
    ResumeOut,
    VideoStatsOut,
    parse_batch,
    to_event,
)
from clipcast.activity.viewers import VIEWER_COOKIE, VIEWER_COOKIE_DAYS, read_viewer, sign_viewer
from clipcast.core.clock import utcnow
from clipcast.core.errors import Forbidden, TooLarge, Unauthorized
from clipcast.core.ids import new_id
from clipcast.settings import Settings
from clipcast.web.deps import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    AdaptersDep,
    CurrentUser,
    OptionalUser,
)

router = APIRouter(tags=["activity"])
TOKEN_MEMORY_SECONDS = 10.0


@router.post("/api/v1/activity", status_code=202)
async def post_activity(request: Request, response: Response, adapters: AdaptersDep) -> AcceptedOut:
    """A batch of the caller's events; 202 once it is in the outbox (applied within seconds)."""
    settings = adapters.settings
    batch_in = parse_batch(await _capped_body(request, settings.activity_max_bytes))
    async with _gate(request).slot():
        caller = await _caller(
            request,
            response,
            sessions=adapters.sessions,
            secret=adapters.secret,
            cookie_secure=settings.cookie_secure,
            body_csrf=batch_in.csrf,
        )
        batch = await service.accept_batch(
            sessions=adapters.sessions,
            caller=caller,
            events=[to_event(raw) for raw in batch_in.events],
            rules=_rules(request, settings),
            now=utcnow(),
            monotonic=time.monotonic(),
        )
    return AcceptedOut(batch_id=batch.id, accepted=len(batch.events))


async def _capped_body(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(cap)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > cap:
            raise _too_large(cap)
    return bytes(body)


def _too_large(cap: int) -> TooLarge:
    return TooLarge(f"An activity batch is at most {cap:,} bytes.", code="batch_too_large")


def _rules(request: Request, settings: Settings) -> service.IngestRules:
    """The process's ingest rules and per-viewer limits, made on first use (nothing is built
    at import)."""
    rules: service.IngestRules | None = getattr(request.app.state, "activity_rules", None)
    if rules is None:
        limits = RateLimits(settings.activity_rate_per_minute)
        rules = service.IngestRules(settings.activity_max_events, settings.clip_seconds, limits)
        request.app.state.activity_rules = rules
    return rules


def _gate(request: Request) -> IngestGate:
    gate: IngestGate | None = getattr(request.app.state, "activity_gate", None)
    if gate is None:
        gate = request.app.state.activity_gate = IngestGate()
    return gate


def _token_users(request: Request) -> TokenUsers:
    users: TokenUsers | None = getattr(request.app.state, "activity_token_users", None)
    if users is None:
        users = request.app.state.activity_token_users = TokenUsers()
    return users


class TokenUsers:
    """Bearer token → user id, remembered for TOKEN_MEMORY_SECONDS: a player posts every few
    seconds, and looking the token up each time cost more than the rest of the request. A
    revoked token can so post activity (and only that) for up to that long."""

    def __init__(self, *, size: int = 100_000) -> None:
        self._users: dict[str, tuple[uuid.UUID, float]] = {}
        self._size = size

    def get(self, token: str, now: float) -> uuid.UUID | None:
        found = self._users.get(token)
        return found[0] if found and found[1] > now else None

    def put(self, token: str, user_id: uuid.UUID, now: float) -> None:
        if len(self._users) >= self._size:
            self._users.clear()
        self._users[token] = (user_id, now + TOKEN_MEMORY_SECONDS)


async def _caller(
    request: Request,
    response: Response,
    *,
    sessions: async_sessionmaker[AsyncSession],
    secret: bytes,
    cookie_secure: bool,
    body_csrf: str | None,
) -> service.Caller:
    """A bearer token's user; a browser session's user (CSRF token in the header, or in the
    body for sendBeacon, which cannot set headers); else an anonymous viewer id from a signed
    cookie, made and set now if missing."""
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        user_id = await _bearer_user(request, sessions, bearer.strip())
        return service.Caller(viewer_id=user_id, user_id=user_id)
    if cookie := request.cookies.get(SESSION_COOKIE):
        user = await user_for_token(sessions=sessions, token=cookie, now=utcnow())
        if user is not None:
            _check_csrf(request, body_csrf)
            return service.Caller(viewer_id=user.id, user_id=user.id)
    viewer = read_viewer(secret, request.cookies.get(VIEWER_COOKIE))
    if viewer is None:
        viewer = new_id()
        response.set_cookie(
            VIEWER_COOKIE,
            sign_viewer(secret, viewer),
            max_age=VIEWER_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=cookie_secure,
            path="/",
        )
    return service.Caller(viewer_id=viewer, user_id=None)


async def _bearer_user(
    request: Request, sessions: async_sessionmaker[AsyncSession], token: str
) -> uuid.UUID:
    users, now = _token_users(request), time.monotonic()
    user_id = users.get(token, now)
    if user_id is None:
        user = await user_for_token(sessions=sessions, token=token, now=utcnow())
        if user is None:
            raise Unauthorized("The access token is invalid or expired.", code="bad_token")
        user_id = user.id
        users.put(token, user_id, now)
    return user_id


def _check_csrf(request: Request, body_csrf: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER) or body_csrf or ""
    if not cookie or not hmac.compare_digest(cookie, given):
        raise Forbidden("Missing or wrong CSRF token.", code="csrf")


def _viewer_of(request: Request, secret: bytes, user_id: uuid.UUID | None) -> uuid.UUID | None:
    if user_id is not None:
        return user_id
    return read_viewer(secret, request.cookies.get(VIEWER_COOKIE))


@router.get("/api/v1/videos/{video_id}/stats")
async def video_stats(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> VideoStatsOut:
    """Views, likes, dislikes and watch time; the caller's own events count at once."""
    user_id = user.id if user else None
    stats = await reads.video_stats(
        sessions=adapters.sessions,
        counters=adapters.counters,
        video_id=video_id,
        user_id=user_id,
        viewer_id=_viewer_of(request, adapters.secret, user_id),
        clip_seconds=adapters.settings.clip_seconds,
    )
    counts = stats.counts
    return VideoStatsOut(
        video_id=video_id,
        views=counts.views,
        likes=counts.likes,
        dislikes=counts.dislikes,
        watch_seconds=counts.watch_ms / 1000,
        my_reaction=stats.my_reaction,
    )


@router.get("/api/v1/me/history")
async def my_history(
    adapters: AdaptersDep,
    user: CurrentUser,
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(24, ge=1, le=100),
) -> HistoryPage:
    """What the caller watched, last watched first."""
    entries, total = await reads.history_page(
        sessions=adapters.sessions,
        counters=adapters.counters,
        user_id=user.id,
        page=page,
        per_page=per_page,
        clip_seconds=adapters.settings.clip_seconds,
    )
    items = [
        HistoryItemOut(
            video_id=e.video_id,
            title=e.title,
            duration=e.duration,
            last_watched_at=e.last_watched_at,
            position=e.history.position,
            progress=e.history.progress,
            watch_count=e.history.watch_count,
        )
        for e in entries
    ]
    return HistoryPage(items=items, total=total, page=page, per_page=per_page)


@router.get("/api/v1/me/history/{video_id}")
async def my_resume(
    video_id: uuid.UUID, request: Request, adapters: AdaptersDep, user: OptionalUser
) -> ResumeOut:
    """Where the caller (signed in, or by their viewer cookie) left this video."""
    user_id = user.id if user else None
    found = await reads.resume(
        sessions=adapters.sessions,
        counters=adapters.counters,
        video_id=video_id,
        user_id=user_id,
        viewer_id=_viewer_of(request, adapters.secret, user_id),
        clip_seconds=adapters.settings.clip_seconds,
    )
    return ResumeOut(
        video_id=video_id, position=found.position, progress=found.progress, reaction=found.reaction
    )


@router.delete("/api/v1/me/history/{video_id}", status_code=204)
async def remove_from_history(
    video_id: uuid.UUID, adapters: AdaptersDep, user: CurrentUser
) -> None:
    await service.remove_from_history(
        sessions=adapters.sessions, user_id=user.id, video_id=video_id, now=utcnow()
    )


@router.delete("/api/v1/me/history", status_code=204)
async def clear_history(adapters: AdaptersDep, user: CurrentUser) -> None:
    await service.clear_history(sessions=adapters.sessions, user_id=user.id, now=utcnow())
