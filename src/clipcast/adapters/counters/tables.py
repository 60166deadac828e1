"""Tables of the SQL counters adapter (the embedded mode's popularity store)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class CounterVideo(Base):
    __tablename__ = "counter_videos"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    dislikes: Mapped[int] = mapped_column(BigInteger, default=0)
    watch_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class CounterClip(Base):
    """Viewers that reached one clip of a video: a point of its retention curve."""

    __tablename__ = "counter_clips"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    clip: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached: Mapped[int] = mapped_column(BigInteger, default=0)


class CounterHour(Base):
    """Views of a video counted in one hour (hours since the Unix epoch)."""

    __tablename__ = "counter_hours"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)


class CounterHot(Base):
    """One hourly bucket of a hot scope (`all`, `tag:{tag}`); read with a time decay."""

    __tablename__ = "counter_hot"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (Index("ix_counter_hot_hour", "hour"),)


class CounterComment(Base):
    __tablename__ = "counter_comments"

    comment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    dislikes: Mapped[int] = mapped_column(BigInteger, default=0)
    score: Mapped[int] = mapped_column(BigInteger, default=0)  # likes − dislikes

    # The popular comments of a video: a range scan of this index, best first.
    __table_args__ = (Index("ix_counter_comments_video_score", "video_id", "score"),)


class CounterBatch(Base):
    """A batch of increments already applied; written in the same transaction as they are."""

    __tablename__ = "counter_batches"

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
