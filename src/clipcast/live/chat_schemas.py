"""API shapes of live chat: what a socket sends, moderation, the recording's replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from clipcast.live.chat_rules import MAX_TIMEOUT_SECONDS


class ClaimIn(BaseModel):
    """Where the sender's player is: the stream, its clip index and the seconds into it."""

    stream: uuid.UUID
    index: int
    offset: float


class PostIn(BaseModel):
    type: Literal["post"]
    text: str = Field(max_length=4000)  # the rule's cap (200) is checked after cleaning
    nonce: str | None = Field(default=None, max_length=64)  # echoed, to match the answer
    position: ClaimIn | None = None  # none: the moment being recorded (the streamer's page)


class RestrictIn(BaseModel):
    """A timeout of `seconds`, or a ban for the rest of the stream when null."""

    seconds: int | None = Field(default=None, ge=1, le=MAX_TIMEOUT_SECONDS)


class RestrictionOut(BaseModel):
    user_id: uuid.UUID
    until: datetime | None  # null: banned


class ReplayMessageOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    text: str
    index: int
    offset: float
    sent_at: str
    owner: bool
    media_time: float  # seconds into the recording where it replays


class ReplayOut(BaseModel):
    stream: bool  # false: the video was no live stream and has no chat
    messages: list[ReplayMessageOut]
    next: str | None  # pass as `after` for the page after this one

    @staticmethod
    def item(message: dict[str, Any], media_time: float) -> ReplayMessageOut:
        return ReplayMessageOut(**message, media_time=round(media_time, 3))
