"""Use cases of share groups: create, list, rename, delete, add and remove members.

Only a group's owner manages it; for anyone else a group id answers as a missing one does, so
ids cannot be probed. Removing a member or deleting a group revokes, at once, the playback
tokens of every video shared with it (videos/audience.py moves their key versions on).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.errors import Conflict, InvalidInput, NotFound
from clipcast.core.ids import new_id
from clipcast.groups import repository as repo
from clipcast.groups.models import Group, GroupMember
from clipcast.groups.schemas import (
    MAX_NAME,
    GroupOut,
    JoinedGroupOut,
    MemberOut,
    OwnerRef,
)
from clipcast.videos import audience

MAX_GROUPS_PER_OWNER = 100
MAX_MEMBERS = 500


def clean_name(raw: str) -> str:
    """A group's name as shown: trimmed, 1 to MAX_NAME characters, printable."""
    name = raw.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidInput(
            f"A group name is 1–{MAX_NAME} printable characters.", code="bad_group_name"
        )
    return name


def _missing() -> NotFound:
    return NotFound("No such group.", code="group_not_found")


async def _owned(
    session: AsyncSession, group_id: uuid.UUID, owner_id: uuid.UUID, *, lock: bool = False
) -> Group:
    group = await repo.owned_group(session, group_id, owner_id, lock=lock)
    if group is None:
        raise _missing()
    return group


async def _out(session: AsyncSession, groups: list[Group]) -> list[GroupOut]:
    members = await repo.members_of(session, [g.id for g in groups])
    return [
        GroupOut(
            id=g.id,
            name=g.name,
            created_at=g.created_at,
            members=[
                MemberOut(id=uid, username=name, added_at=added)
                for uid, name, added in members.get(g.id, [])
            ],
        )
        for g in groups
    ]


async def create_group(
    *, sessions: async_sessionmaker[AsyncSession], owner_id: uuid.UUID, name: str, now: datetime
) -> GroupOut:
    name = clean_name(name)
    async with sessions() as session:
        if await repo.count_groups(session, owner_id) >= MAX_GROUPS_PER_OWNER:
            raise Conflict(
                f"You have {MAX_GROUPS_PER_OWNER} groups, the most one may have.",
                code="too_many_groups",
            )
        await _check_name_free(session, owner_id, name)
        group = Group(id=new_id(), owner_id=owner_id, name=name, created_at=now)
        session.add(group)
        await session.commit()
        return (await _out(session, [group]))[0]


async def _check_name_free(
    session: AsyncSession, owner_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> None:
    if await repo.name_taken(session, owner_id, name, but):
        raise Conflict(f"You already have a group named {name!r}.", code="group_name_taken")


async def list_groups(
    *, sessions: async_sessionmaker[AsyncSession], owner_id: uuid.UUID
) -> list[GroupOut]:
    """The caller's own groups, by name, with their members."""
    async with sessions() as session:
        return await _out(session, await repo.groups_of_owner(session, owner_id))


async def get_group(
    *, sessions: async_sessionmaker[AsyncSession], group_id: uuid.UUID, owner_id: uuid.UUID
) -> GroupOut:
    async with sessions() as session:
        return (await _out(session, [await _owned(session, group_id, owner_id)]))[0]


async def rename_group(
    *,
    sessions: async_sessionmaker[AsyncSession],
    group_id: uuid.UUID,
    owner_id: uuid.UUID,
    name: str,
) -> GroupOut:
    name = clean_name(name)
    async with sessions() as session:
        group = await _owned(session, group_id, owner_id)
        await _check_name_free(session, owner_id, name, but=group.id)
        group.name = name
        await session.commit()
        return (await _out(session, [group]))[0]


async def delete_group(
    *,
    sessions: async_sessionmaker[AsyncSession],
    group_id: uuid.UUID,
    owner_id: uuid.UUID,
    now: datetime,
) -> None:
    """The group and its memberships go; videos shared with it lose it (and their tokens)."""
    async with sessions() as session:
        group = await _owned(session, group_id, owner_id, lock=True)
        shared = await audience.videos_shared_with(session, group.id)
        await session.delete(group)
        await session.flush()  # the video_groups rows cascade before the videos are looked at
        await audience.groups_gone(session, shared, now)
        await session.commit()


async def add_member(
    *,
    sessions: async_sessionmaker[AsyncSession],
    group_id: uuid.UUID,
    owner_id: uuid.UUID,
    username: str,
    now: datetime,
) -> GroupOut:
    """Idempotent: adding a member twice leaves one membership."""
    async with sessions() as session:
        group = await _owned(session, group_id, owner_id, lock=True)
        user = await repo.user_named(session, username)
        if user is None:
            raise NotFound(f"No user is named {username!r}.", code="user_not_found")
        if user.id == owner_id:
            raise InvalidInput("You see your own videos already.", code="owner_not_a_member")
        if not await repo.is_member(session, group.id, user.id):
            if await repo.count_members(session, group.id) >= MAX_MEMBERS:
                raise Conflict(
                    f"A group has at most {MAX_MEMBERS} members.", code="too_many_members"
                )
            session.add(GroupMember(group_id=group.id, user_id=user.id, added_at=now))
            await session.commit()
        return (await _out(session, [group]))[0]


async def remove_member(
    *,
    sessions: async_sessionmaker[AsyncSession],
    group_id: uuid.UUID,
    owner_id: uuid.UUID,
    username: str,
    now: datetime,
) -> None:
    """The member no longer sees the group's videos, and media URLs handed to them stop
    working at once: the tokens of every video shared with the group are revoked."""
    async with sessions() as session:
        group = await _owned(session, group_id, owner_id, lock=True)
        user = await repo.user_named(session, username)
        if user is None or not await repo.remove_member(session, group.id, user.id):
            raise NotFound(f"{username!r} is not in this group.", code="member_not_found")
        await audience.revoke(session, await audience.videos_shared_with(session, group.id), now)
        await session.commit()


async def joined_groups(
    *, sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> list[JoinedGroupOut]:
    """The groups the caller is a member of (other owners' groups)."""
    async with sessions() as session:
        rows = await repo.joined_by(session, user_id)
    return [
        JoinedGroupOut(id=g.id, name=g.name, owner=OwnerRef(id=g.owner_id, username=owner))
        for g, owner in rows
    ]
