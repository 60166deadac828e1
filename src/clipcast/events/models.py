"""Tables of the embedded bus (events, group bindings, deliveries) and of consumer dedupe."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime
from clipcast.outbox.models import OutboxEvent

# SQLite keeps 64-bit integers in INTEGER; only "INTEGER PRIMARY KEY" autoincrements there.
SEQ = BigInteger().with_variant(Integer, "sqlite")
PENDING = text("acked_at IS NULL AND dead_at IS NULL")


class BusEvent(Base):
    """An event stored once by the embedded bus; `seq` is the order it was published in."""

    __tablename__ = "bus_events"

    seq: Mapped[int] = mapped_column(SEQ, Identity(), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)  # unique: a re-publish is a no-op
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusBinding(Base):
    """A consumer group's durable interest in a topic; its backlog starts at `registered_at`."""

    __tablename__ = "bus_bindings"

    group_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BusDelivery(Base):
    """One event owed to one group: leased by `visible_at`, then acked or dead."""

    __tablename__ = "bus_deliveries"

    group_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_seq: Mapped[int] = mapped_column(
        SEQ, ForeignKey("bus_events.seq", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Due when visible_at <= now; a claim pushes it to now + ack_wait (the lease), so a
    # consumer that dies mid-event gives it back by simply not acking.
    visible_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Acked rows pile up; the claim query only ever walks the pending ones.
    __table_args__ = (
        Index(
            "ix_bus_deliveries_pending",
            "group_name",
            "event_seq",
            sqlite_where=PENDING,
            postgresql_where=PENDING,
        ),
    )


class ProcessedEvent(Base):
    """An event a consumer has already applied; written in the same transaction as its effects."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The relay polls for unpublished rows; without this index each poll scans the whole outbox.
UNPUBLISHED = text("published_at IS NULL")
Index(
    "ix_outbox_unpublished",
    OutboxEvent.seq,
    sqlite_where=UNPUBLISHED,
    postgresql_where=UNPUBLISHED,
)
