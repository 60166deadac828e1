"""Tables of share groups: groups, their members, and which groups each video is shared with."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class Group(Base):
    """A named set of users, managed by its owner alone."""

    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_groups_owner_id_name"),)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # "Which groups is this user in" is asked on every read of a group video.
    __table_args__ = (Index("ix_group_members_user_id", "user_id"),)


class VideoGroup(Base):
    """A video of visibility `group` is shared with each group it has a row for. Written by
    `clipcast.videos` (the video's audience); rows go with their video or group."""

    __tablename__ = "video_groups"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_video_groups_group_id", "group_id"),)
