"""Tables of the original design's data model: videos, their renditions and clips."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class Video(Base):
    __tablename__ = "videos"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(255), default="")
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)  # total length, seconds
    state: Mapped[str] = mapped_column(String(16))  # VideoState
    progress: Mapped[int] = mapped_column(Integer, default=0)
    playable: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[str] = mapped_column(String(16))  # Visibility
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)  # as displayed
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    has_video: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Thumbnail mapping uuid -> object key, filled by the thumbnail service.
    thumbnails: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Part of every playback token; moved on when the audience narrows, so tokens handed out
    # before stop working at once (videos/audience.py).
    key_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_videos_visibility_state_created", "visibility", "state", "created_at"),
        Index("ix_videos_owner_created", "owner_id", "created_at"),
    )


class Rendition(Base):
    """One rung of the ladder as published: what the master playlist lists."""

    __tablename__ = "renditions"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)  # height; 0 = audio only
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bandwidth: Mapped[int] = mapped_column(Integer)  # peak bits/s over any clip
    average_bandwidth: Mapped[int] = mapped_column(Integer)
    codecs: Mapped[str] = mapped_column(String(100))
    frame_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    init_key: Mapped[str] = mapped_column(String(255))
    playlist_key: Mapped[str] = mapped_column(String(255))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False while the rendition is published as it is encoded (an EVENT playlist that grows);
    # a retried job makes such a rendition again.
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Clip(Base):
    """A 2-second clip; knows the next few clips so players walk forward without asking."""

    __tablename__ = "clips"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    offset: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    uri: Mapped[str] = mapped_column(String(255))  # object key
    next_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
