"""Request dependencies: adapters, the caller, CSRF for cookie sessions, base URL."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from clipcast.accounts.models import User
from clipcast.accounts.service import user_for_token
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.core.errors import Forbidden, Unauthorized
from clipcast.videos.service import Viewer

SESSION_COOKIE = "clipcast_session"
CSRF_COOKIE = "clipcast_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


def get_adapters(request: Request) -> Adapters:
    adapters: Adapters = request.app.state.adapters
    return adapters


AdaptersDep = Annotated[Adapters, Depends(get_adapters)]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def optional_user(request: Request, adapters: AdaptersDep) -> User | None:
    """The caller from a bearer token, or from the session cookie (with a CSRF check)."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    user: User | None = None
    token = _bearer(request)
    if token is not None:
        user = await user_for_token(sessions=adapters.sessions, token=token, now=utcnow())
        if user is None:
            raise Unauthorized("The access token is invalid or expired.", code="bad_token")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = await user_for_token(sessions=adapters.sessions, token=cookie, now=utcnow())
        if user is not None and request.method not in _SAFE:
            _check_csrf(request)
    request.state.user = user
    return user


def _check_csrf(request: Request) -> None:
    # Double-submit: a page of ours can read the CSRF cookie and echo it; another site cannot.
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie, header):
        raise Forbidden("Missing or wrong CSRF token.", code="csrf")


async def required_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise Unauthorized("Log in first.", code="login_required")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(required_user)]


def base_url(request: Request, adapters: Adapters) -> str:
    return adapters.settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")


def viewer_for(request: Request, adapters: Adapters, user: User | None) -> Viewer:
    return Viewer(
        user_id=user.id if user else None,
        base_url=base_url(request, adapters),
        secret=adapters.secret,
        token_ttl=adapters.settings.playback_token_seconds,
        now=utcnow(),
    )
