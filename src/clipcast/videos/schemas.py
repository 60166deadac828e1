"""API shapes of videos and clips."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clipcast.thumbnails.schemas import ThumbnailsOut
from clipcast.videos.lifecycle import VideoState, Visibility

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000


class OwnerOut(BaseModel):
    id: uuid.UUID
    username: str


class RenditionOut(BaseModel):
    resolution: int
    width: int
    height: int
    bandwidth: int


class PlaybackOut(BaseModel):
    hls: str | None
    expires_at: datetime | None = None


class VideoOut(BaseModel):
    id: uuid.UUID
    owner: OwnerOut
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    duration: float | None
    state: VideoState
    progress: int
    playable: bool
    visibility: Visibility
    groups: list[uuid.UUID] = []  # the share groups of a `group` video, shown to its owner only
    failure_reason: str | None
    width: int | None
    height: int | None
    tags: list[str]
    renditions: list[RenditionOut]
    thumbnails: ThumbnailsOut
    playback: PlaybackOut


class VideoPage(BaseModel):
    items: list[VideoOut]
    total: int
    page: int
    per_page: int


class VideoPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    visibility: Visibility | None = None
    # The owner's share groups for visibility `group` (replacing the current ones).
    groups: list[uuid.UUID] | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=100)


class NextClipOut(BaseModel):
    id: uuid.UUID
    index: int
    url: str


class ClipOut(BaseModel):
    id: uuid.UUID
    index: int
    resolution: int
    offset: float
    duration: float
    byte_size: int
    url: str
    next: list[NextClipOut]


class ClipChainOut(BaseModel):
    video_id: uuid.UUID
    resolution: int
    init_url: str
    total_clips: int
    clips: list[ClipOut]
    next_start: int | None
