"""Use cases of accounts: register, issue and check tokens, log out."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.accounts.models import AccessToken, User
from clipcast.accounts.passwords import hash_password, verify_password
from clipcast.accounts.rules import check_password, normalise_username
from clipcast.core.errors import Conflict, Unauthorized
from clipcast.core.ids import new_id


class TokenKind(StrEnum):
    API = "api"
    SESSION = "session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def register(
    *, sessions: async_sessionmaker[AsyncSession], username: str, password: str, now: datetime
) -> User:
    """Create an account; the username is unique regardless of case."""
    name = normalise_username(username)
    check_password(password)
    password_hash = await asyncio.to_thread(hash_password, password)
    user = User(id=new_id(), username=name, password_hash=password_hash, created_at=now)
    async with sessions() as session:
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:
            raise Conflict("That username is taken.", code="username_taken") from None
    return user


async def authenticate(
    *, sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> User:
    """The user with these credentials, or Unauthorized (same answer for both mistakes)."""
    async with sessions() as session:
        user = await session.scalar(select(User).where(User.username == username.lower()))
    stored = user.password_hash if user else None
    if not await asyncio.to_thread(verify_password, stored, password) or user is None:
        raise Unauthorized("Wrong username or password.", code="bad_credentials")
    return user


async def issue_token(
    *,
    sessions: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    kind: TokenKind,
    now: datetime,
    ttl: timedelta,
) -> str:
    """A new random token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    async with sessions() as session:
        session.add(
            AccessToken(
                token_hash=_digest(token),
                user_id=user_id,
                kind=kind,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        await session.commit()
    return token


async def user_for_token(
    *, sessions: async_sessionmaker[AsyncSession], token: str, now: datetime
) -> User | None:
    async with sessions() as session:
        row = await session.get(AccessToken, _digest(token))
        if row is None or row.expires_at <= now:
            return None
        return await session.get(User, row.user_id)


async def revoke_token(*, sessions: async_sessionmaker[AsyncSession], token: str) -> None:
    async with sessions() as session:
        await session.execute(delete(AccessToken).where(AccessToken.token_hash == _digest(token)))
        await session.commit()


async def username_of(*, sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> str:
    async with sessions() as session:
        user = await session.get(User, user_id)
    return user.username if user else ""
