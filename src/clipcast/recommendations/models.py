"""Tables of recommendations: system-made video tags, user taste tags, the stored per-user
ranked lists with their reasons, up-next lists, trained models and pending one-user refreshes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


def _video_fk() -> ForeignKey:
    return ForeignKey("videos.id", ondelete="CASCADE")


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="CASCADE")


class VideoTagRow(Base):
    """A system-made tag of a video: weight in (0, 1] and where it came from (TagSource)."""

    __tablename__ = "recs_video_tags"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_recs_video_tags_tag", "tag"),)


class UserTagRow(Base):
    """A user's taste tag: computed from their activity, or added by them; a muted tag stays
    (weight 0) so recomputing never brings it back."""

    __tablename__ = "recs_user_tags"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, _user_fk(), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    added: Mapped[bool] = mapped_column(Boolean, default=False)  # by the user, kept at 1
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Recommendation(Base):
    """One item of a user's stored ranked list."""

    __tablename__ = "recommendations"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, _user_fk(), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk())
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(16))  # ReasonKind
    reason_tag: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason_video_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    model_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UpNext(Base):
    """What viewers went on to watch after a video, best first (strength in (0, 1])."""

    __tablename__ = "recs_up_next"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk())
    strength: Mapped[float] = mapped_column(Float)


class RecsModel(Base):
    """A trained collaborative model: its arrays live in object storage under `key`."""

    __tablename__ = "recs_models"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key: Mapped[str] = mapped_column(String(255))
    users: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)


class PendingRefresh(Base):
    """A user whose list should be remade once they have been quiet a moment (debounce)."""

    __tablename__ = "recs_pending"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, _user_fk(), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
