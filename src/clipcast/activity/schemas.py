"""API shapes of activity: the event batch (validated, capped), stats, history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from clipcast.activity.fold import ActivityEvent
from clipcast.activity.rules import Action, Reaction
from clipcast.core.errors import InvalidInput

# Parsing stops here whatever the settings say; the settings' cap answers 413 below it.
HARD_MAX_EVENTS = 10_000
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
EventTime = Annotated[int, Field(ge=0, le=2**53, description="Milliseconds since the epoch.")]


class _EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ClientId  # the client's id for the event: a retried batch carries the same ids
    video_id: uuid.UUID
    ts: EventTime


class ClipViewIn(_EventIn):
    type: Literal["clip_view"]
    clip: int = Field(ge=0, le=10_000_000)
    resolution: int = Field(default=0, ge=0, le=8640)


class PageLeaveIn(_EventIn):
    type: Literal["page_leave"]
    position: float = Field(ge=0, le=10_000_000)


class ReactionIn(_EventIn):
    type: Literal["like", "dislike"]


class ClearIn(_EventIn):
    type: Literal["clear"]
    comment_id: uuid.UUID | None = None  # clears the comment's reaction instead of the video's


class CommentReactionIn(_EventIn):
    type: Literal["comment_like", "comment_dislike"]
    comment_id: uuid.UUID


EventIn = Annotated[
    ClipViewIn | PageLeaveIn | ReactionIn | ClearIn | CommentReactionIn,
    Field(discriminator="type"),
]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(min_length=1, max_length=HARD_MAX_EVENTS)
    # For navigator.sendBeacon, which cannot set headers: the CSRF token in the body.
    csrf: str | None = Field(default=None, max_length=200)


_BATCH = TypeAdapter(BatchIn)


def parse_batch(body: bytes) -> BatchIn:
    """The batch, or InvalidInput naming the first bad field (an unknown type has its code)."""
    try:
        return _BATCH.validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][:3])
        code = "unknown_action" if first["type"] == "union_tag_invalid" else "invalid_input"
        raise InvalidInput(
            f"{where}: {first['msg']}" if where else first["msg"], code=code
        ) from exc


def to_event(raw: EventIn) -> ActivityEvent:
    # By type, not getattr with a default: a pydantic model answers a missing attribute
    # slowly (through __getattr__ and an exception), and a batch has hundreds of events.
    action = _ACTIONS[raw.type]
    if isinstance(raw, ClipViewIn):
        return ActivityEvent(
            raw.id, action, raw.video_id, raw.ts, clip=raw.clip, resolution=raw.resolution
        )
    if isinstance(raw, PageLeaveIn):
        return ActivityEvent(raw.id, action, raw.video_id, raw.ts, position=raw.position)
    if isinstance(raw, ClearIn | CommentReactionIn):
        return ActivityEvent(raw.id, action, raw.video_id, raw.ts, comment_id=raw.comment_id)
    return ActivityEvent(raw.id, action, raw.video_id, raw.ts)


_ACTIONS = {action.value: action for action in Action}


class AcceptedOut(BaseModel):
    batch_id: uuid.UUID
    accepted: int


class VideoStatsOut(BaseModel):
    """Counts as the caller should see them: their own latest events included at once."""

    video_id: uuid.UUID
    views: int
    likes: int
    dislikes: int
    watch_seconds: float
    my_reaction: Reaction | None  # None for anonymous viewers


class HistoryItemOut(BaseModel):
    video_id: uuid.UUID
    title: str
    duration: float | None
    last_watched_at: datetime
    position: float | None
    progress: float
    watch_count: int


class HistoryPage(BaseModel):
    items: list[HistoryItemOut]
    total: int
    page: int
    per_page: int


class ResumeOut(BaseModel):
    """Where the watch page starts: the caller's last position, unless they finished it."""

    video_id: uuid.UUID
    position: float | None
    progress: float
    reaction: Reaction | None
