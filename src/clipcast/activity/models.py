"""Tables of activity: pending batches, watch history, hourly view windows, comment reactions,
the append-only activity log (partitioned by day on PostgreSQL), frozen counter increments and
the roll-ups of log days past retention."""

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
    LargeBinary,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


def _video_fk() -> ForeignKey:
    return ForeignKey("videos.id", ondelete="CASCADE")


class PendingBatch(Base):
    """A batch the API accepted, until its counters are applied: what read-your-writes merges.

    Written in the same transaction as the batch's outbox event, whose id is the batch id and
    whose payload holds the events (read from there, not stored twice); deleted by the
    consumer once the counters store has the batch.
    """

    __tablename__ = "activity_pending"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    viewer_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WatchHistory(Base):
    """One viewer's state on one video: watch history, resume position, like state.

    Viewers are users (signed_in) or anonymous viewer ids (for their resume position). Stamps
    (`*_ms`, `*_event`) are the event time and client id of the write that set a field, so the
    newest write wins whatever order events arrive in.
    """

    __tablename__ = "watch_history"

    viewer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    signed_in: Mapped[bool] = mapped_column(Boolean, default=False)
    last_watched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    position: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    position_event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    watch_count: Mapped[int] = mapped_column(Integer, default=0)
    reaction: Mapped[str] = mapped_column(String(8), default="none")  # Reaction
    reaction_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reaction_event: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cleared_ms: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        # "My history", newest first, is a range scan of this index.
        Index("ix_watch_history_viewer_watched", "viewer_id", "last_watched_at"),
        # Counting likes per video (counters rebuild) without a full scan.
        Index("ix_watch_history_video_reaction", "video_id", "reaction"),
    )


class ViewWindow(Base):
    """Clips a viewer reached on a video in one clock hour (a bit set), and if it made a view."""

    __tablename__ = "view_windows"

    viewer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    clips: Mapped[bytes] = mapped_column(LargeBinary)
    counted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_view_windows_hour", "hour"),)


class CommentReaction(Base):
    """A user's like state on a comment (the comments feature owns the comments themselves)."""

    __tablename__ = "comment_reactions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    comment_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), index=True)
    reaction: Mapped[str] = mapped_column(String(8), default="none")
    reaction_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reaction_event: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_comment_reactions_comment", "comment_id", "reaction"),)


class ActivityLog(Base):
    """The append-only log of every applied event with what it changed in the counters.

    The key (viewer, client event id, time) drops a redelivered copy. On PostgreSQL the table
    is partitioned by day of `ts`; partitions are made ahead and dropped past retention.
    """

    __tablename__ = "activity"

    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    viewer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    signed_in: Mapped[bool] = mapped_column(Boolean)
    video_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    action: Mapped[str] = mapped_column(String(16))  # Action
    clip: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)  # page_leave position
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    views: Mapped[int] = mapped_column(SmallInteger, default=0)
    reached: Mapped[int] = mapped_column(SmallInteger, default=0)
    watch_ms: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(SmallInteger, default=0)
    dislikes: Mapped[int] = mapped_column(SmallInteger, default=0)

    # The key starts with `ts`: export --since and retention are range scans of it.
    __table_args__ = ({"postgresql_partition_by": "RANGE (ts)"},)


class PendingDeltas(Base):
    """A batch's counter increments, frozen when its SQL effects commit, until the counters
    store has them: a crash between the two is finished by the redelivery, never lost."""

    __tablename__ = "counter_pending"

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    deltas: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RollupHour(Base):
    """Views and watch time of log days dropped past retention, per video and hour."""

    __tablename__ = "activity_rollup_hours"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    watch_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupClip(Base):
    """Clip reaches of log days dropped past retention, per video and clip."""

    __tablename__ = "activity_rollup_clips"

    video_id: Mapped[uuid.UUID] = mapped_column(Uuid, _video_fk(), primary_key=True)
    clip: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached: Mapped[int] = mapped_column(BigInteger, default=0)
