"""Tables of live streams: the stream beside its video row, and the live facts of each clip."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class FeedState(StrEnum):
    """Whether a feed is coming in; the video row's state says whether the stream is live."""

    WAITING = "waiting"  # no feed yet, or between two (the streamer reconnects)
    RECEIVING = "receiving"
    ENDED = "ended"


class LiveStream(Base):
    """A live stream; its id is its video's id (one video per stream, live then VOD)."""

    __tablename__ = "live_streams"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the stream key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    feed_state: Mapped[str] = mapped_column(String(16))  # FeedState
    # Each feed connection takes the next epoch; a feed whose epoch is no longer the stream's
    # (replaced, key rotated, ended) publishes nothing more.
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    next_index: Mapped[int] = mapped_column(Integer, default=0)  # the next clip to reserve
    current_index: Mapped[int | None] = mapped_column(Integer, nullable=True)  # newest published
    discontinuities: Mapped[int] = mapped_column(Integer, default=0)  # of the newest clip
    media_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # recorded so far
    last_clip_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    feed_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The renditions as the documents describe them (documents.LiveRung), from the first clip.
    rungs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    feed_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # shown to the streamer


class LiveClipMark(Base):
    """What a live clip has beyond its clips row: when it was captured, and its feed."""

    __tablename__ = "live_clips"

    video_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("live_streams.video_id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_date_time: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    media_time: Mapped[float] = mapped_column(Float)
    duration: Mapped[float] = mapped_column(Float)
    discontinuity: Mapped[bool] = mapped_column(Boolean, default=False)
    discontinuity_sequence: Mapped[int] = mapped_column(Integer, default=0)
    init: Mapped[str] = mapped_column(String(64))
