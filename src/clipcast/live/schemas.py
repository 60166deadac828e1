"""API shapes of live streams."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clipcast.live.models import FeedState
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.schemas import MAX_DESCRIPTION, MAX_TITLE


class StreamIn(BaseModel):
    """A stream's metadata, set before it goes live so it can be found at once. A poster is
    sent afterwards like any video's (PUT /api/v1/videos/{id}/poster)."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    tags: list[str] = Field(default_factory=list, max_length=100)
    visibility: Visibility = Visibility.PUBLIC
    groups: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class IngestOut(BaseModel):
    websocket: str  # wss://…/api/v1/streams/{id}/ingest


class StreamOut(BaseModel):
    id: uuid.UUID  # also the id of its video
    title: str
    state: VideoState  # live while on the air, then as any video
    feed: FeedState
    visibility: Visibility
    created_at: datetime
    current_index: int | None  # newest published clip
    media_seconds: float  # recorded so far
    feed_error: str | None
    watch_url: str
    ingest: IngestOut
    # Shown once, when the stream is created or its key rotated; only its hash is kept.
    stream_key: str | None = None


class SrtOut(BaseModel):
    """Where an encoder sends the stream over SRT; the passphrase is this listener's own."""

    url: str  # srt://host:port?passphrase=…&pbkeylen=16 (OBS: the whole URL as "Server")
    port: int
    passphrase: str


class CurrentOut(BaseModel):
    """Where a viewer starts: the newest clip document (or, before the first clip, the URL
    the first will have). Everything after it is read from the CDN."""

    stream_id: uuid.UUID
    state: VideoState
    index: int
    document: str  # absolute URL; later documents are relative to it
    clip_seconds: int
    server_time: datetime  # for the player's estimate of its clock against ours
    vod: str | None = None  # the recording's master playlist, once the stream ended
