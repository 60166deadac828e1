"""The chat of a live stream as its recording keeps it: every accepted message, at the clip
and offset its sender saw (written as it is accepted, so the recording's replay misses none)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class LiveChatMessage(Base):
    __tablename__ = "live_chat"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("videos.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    clip_index: Mapped[int] = mapped_column(Integer)
    clip_offset: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        # The replay reads a recording's chat in position order, from a position on.
        Index("ix_live_chat_video_position", "video_id", "clip_index", "clip_offset", "id"),
    )
