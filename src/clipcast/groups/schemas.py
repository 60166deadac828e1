"""API shapes of share groups."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

MAX_NAME = 100


class GroupIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME)


class MemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)


class MemberOut(BaseModel):
    id: uuid.UUID
    username: str
    added_at: datetime


class GroupOut(BaseModel):
    """A group as its owner sees it, members included."""

    id: uuid.UUID
    name: str
    created_at: datetime
    members: list[MemberOut]


class GroupList(BaseModel):
    items: list[GroupOut]


class OwnerRef(BaseModel):
    id: uuid.UUID
    username: str


class JoinedGroupOut(BaseModel):
    """A group as one of its members sees it: its name and owner, not who else is in it."""

    id: uuid.UUID
    name: str
    owner: OwnerRef


class JoinedList(BaseModel):
    items: list[JoinedGroupOut]
