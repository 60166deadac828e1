"""Queries on share groups and their members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.groups.models import Group, GroupMember


async def owned_group(
    session: AsyncSession, group_id: uuid.UUID, owner_id: uuid.UUID, *, lock: bool = False
) -> Group | None:
    """The group if `owner_id` owns it; None for a missing group and for anyone else's alike."""
    query = select(Group).where(Group.id == group_id, Group.owner_id == owner_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def groups_of_owner(session: AsyncSession, owner_id: uuid.UUID) -> list[Group]:
    rows = await session.scalars(
        select(Group).where(Group.owner_id == owner_id).order_by(func.lower(Group.name), Group.id)
    )
    return list(rows)


async def count_groups(session: AsyncSession, owner_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Group).where(Group.owner_id == owner_id)
    )
    return int(count or 0)


async def name_taken(
    session: AsyncSession, owner_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> bool:
    query = select(Group.id).where(Group.owner_id == owner_id, Group.name == name)
    if but is not None:
        query = query.where(Group.id != but)
    return (await session.scalar(query.limit(1))) is not None


async def members_of(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str, datetime]]]:
    """(user id, username, added at) of each group's members, by username."""
    if not group_ids:
        return {}
    rows = await session.execute(
        select(GroupMember.group_id, User.id, User.username, GroupMember.added_at)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(User.username)
    )
    out: dict[uuid.UUID, list[tuple[uuid.UUID, str, datetime]]] = {}
    for group_id, user_id, username, added_at in rows:
        out.setdefault(group_id, []).append((user_id, username, added_at))
    return out


async def count_members(session: AsyncSession, group_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group_id)
    )
    return int(count or 0)


async def is_member(session: AsyncSession, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.get(GroupMember, (group_id, user_id))
    return found is not None


async def remove_member(session: AsyncSession, group_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """True if the user was a member."""
    result = await session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.user_id == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def user_named(session: AsyncSession, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username.lower()))).first()


async def joined_by(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[Group, str]]:
    """The groups `user_id` is a member of, with each owner's username, by name."""
    rows = await session.execute(
        select(Group, User.username)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .join(User, User.id == Group.owner_id)
        .where(GroupMember.user_id == user_id)
        .order_by(func.lower(Group.name), Group.id)
    )
    return [(group, name) for group, name in rows]
