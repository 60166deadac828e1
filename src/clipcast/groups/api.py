"""Routes of share groups: the owner's groups and their members, and the groups one is in."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from clipcast.core.clock import utcnow
from clipcast.groups import service
from clipcast.groups.schemas import GroupIn, GroupList, GroupOut, JoinedList, MemberIn
from clipcast.web.deps import AdaptersDep, CurrentUser

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])


@router.get("")
async def list_groups(adapters: AdaptersDep, user: CurrentUser) -> GroupList:
    """The caller's own groups with their members."""
    return GroupList(items=await service.list_groups(sessions=adapters.sessions, owner_id=user.id))


@router.post("", status_code=201)
async def create_group(body: GroupIn, adapters: AdaptersDep, user: CurrentUser) -> GroupOut:
    return await service.create_group(
        sessions=adapters.sessions, owner_id=user.id, name=body.name, now=utcnow()
    )


@router.get("/joined")
async def joined_groups(adapters: AdaptersDep, user: CurrentUser) -> JoinedList:
    """Groups of other users that the caller is a member of."""
    return JoinedList(
        items=await service.joined_groups(sessions=adapters.sessions, user_id=user.id)
    )


@router.get("/{group_id}")
async def get_group(group_id: uuid.UUID, adapters: AdaptersDep, user: CurrentUser) -> GroupOut:
    return await service.get_group(sessions=adapters.sessions, group_id=group_id, owner_id=user.id)


@router.patch("/{group_id}")
async def rename_group(
    group_id: uuid.UUID, body: GroupIn, adapters: AdaptersDep, user: CurrentUser
) -> GroupOut:
    return await service.rename_group(
        sessions=adapters.sessions, group_id=group_id, owner_id=user.id, name=body.name
    )


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: uuid.UUID, adapters: AdaptersDep, user: CurrentUser) -> None:
    await service.delete_group(
        sessions=adapters.sessions, group_id=group_id, owner_id=user.id, now=utcnow()
    )


@router.post("/{group_id}/members")
async def add_member(
    group_id: uuid.UUID, body: MemberIn, adapters: AdaptersDep, user: CurrentUser
) -> GroupOut:
    return await service.add_member(
        sessions=adapters.sessions,
        group_id=group_id,
        owner_id=user.id,
        username=body.username,
        now=utcnow(),
    )


@router.delete("/{group_id}/members/{username}", status_code=204)
async def remove_member(
    group_id: uuid.UUID, username: str, adapters: AdaptersDep, user: CurrentUser
) -> None:
    await service.remove_member(
        sessions=adapters.sessions,
        group_id=group_id,
        owner_id=user.id,
        username=username,
        now=utcnow(),
    )
