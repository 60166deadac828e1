"""Routes of accounts: register, API tokens, browser sessions."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Request, Response

from clipcast.accounts import service
from clipcast.accounts.schemas import Credentials, TokenOut, UserOut
from clipcast.core.clock import utcnow
from clipcast.web.deps import CSRF_COOKIE, SESSION_COOKIE, AdaptersDep, CurrentUser

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", status_code=201)
async def register(body: Credentials, adapters: AdaptersDep) -> UserOut:
    user = await service.register(
        sessions=adapters.sessions, username=body.username, password=body.password, now=utcnow()
    )
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.post("/token")
async def token(body: Credentials, adapters: AdaptersDep) -> TokenOut:
    user = await service.authenticate(
        sessions=adapters.sessions, username=body.username, password=body.password
    )
    issued = await service.issue_token(
        sessions=adapters.sessions,
        user_id=user.id,
        kind=service.TokenKind.API,
        now=utcnow(),
        ttl=timedelta(days=adapters.settings.access_token_days),
    )
    return TokenOut(access_token=issued)


@router.post("/logout", status_code=204)
async def logout(
    request: Request, response: Response, adapters: AdaptersDep, _user: CurrentUser
) -> None:
    """Revoke the bearer token or the browser session used for this request."""
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    token_text = (
        bearer.strip() if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE, "")
    )
    await service.revoke_token(sessions=adapters.sessions, token=token_text)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.post("/session")
async def open_session(body: Credentials, response: Response, adapters: AdaptersDep) -> UserOut:
    """Log a browser in: an HttpOnly session cookie plus a CSRF cookie the page echoes."""
    user = await service.authenticate(
        sessions=adapters.sessions, username=body.username, password=body.password
    )
    days = adapters.settings.access_token_days
    issued = await service.issue_token(
        sessions=adapters.sessions,
        user_id=user.id,
        kind=service.TokenKind.SESSION,
        now=utcnow(),
        ttl=timedelta(days=days),
    )
    secure = adapters.settings.cookie_secure
    age = days * 86400
    response.set_cookie(
        SESSION_COOKIE, issued, max_age=age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        max_age=age,
        httponly=False,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)


@router.get("/me")
async def me(user: CurrentUser) -> UserOut:
    return UserOut(id=user.id, username=user.username, created_at=user.created_at)
