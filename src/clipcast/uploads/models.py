"""Tables of uploads in progress (the upload's id is the new video's id) and their parts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clipcast.db.base import Base, UTCDateTime


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Staged in storage: bytes 0..parts_end are parts of the multipart upload `multipart_id`
    # (UploadPart rows), parts_end..offset the object `tail_key`; parts are `part_bytes` long
    # but the last; `next_part` is the next unused part number.
    staging: Mapped[str] = mapped_column(String(16), default="local")  # UploadStaging
    multipart_id: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    part_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    parts_end: Mapped[int] = mapped_column(BigInteger, default=0)
    next_part: Mapped[int] = mapped_column(Integer, default=1)
    tail_key: Mapped[str | None] = mapped_column(String(512), nullable=True)


class UploadPart(Base):
    """A stored part of a storage-staged upload: bytes start..start+size of the file."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(256))
