"""API shapes of recommendations: rows of cards with their reasons, up next, taste tags."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clipcast.thumbnails.schemas import ThumbnailsOut
from clipcast.videos.schemas import OwnerOut


class CardOut(BaseModel):
    """A recommended video as a card, with why it is shown."""

    id: uuid.UUID
    title: str
    duration: float | None
    owner: OwnerOut
    created_at: datetime
    thumbnails: ThumbnailsOut
    reason: str  # ReasonKind
    reason_text: str
    reason_tag: str | None = None
    reason_video_id: uuid.UUID | None = None


class RowOut(BaseModel):
    title: str
    reason: str
    tag: str | None = None
    items: list[CardOut]


class RecommendationsOut(BaseModel):
    personal: bool  # False: popular videos (a visitor, or a user with nothing to go on yet)
    model_version: int | None = None
    generated_at: datetime | None = None
    rows: list[RowOut]


class UpNextOut(BaseModel):
    items: list[CardOut]


class TagOut(BaseModel):
    tag: str
    weight: float
    muted: bool
    added: bool


class TagsOut(BaseModel):
    items: list[TagOut]


class TagEditIn(BaseModel):
    """`muted`: "not interested in #tag" (true) or interested again (false); `added`: follow a
    tag by hand (true) or stop (false)."""

    muted: bool | None = None
    added: bool | None = None


class TagAddIn(BaseModel):
    tag: str = Field(min_length=1, max_length=41)
