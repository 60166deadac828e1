"""API shapes of the studio: a video's analytics as its owner sees them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from clipcast.studio.series import Bucket


class ViewsPointOut(BaseModel):
    start: datetime = Field(description="The bucket's first instant (UTC).")
    views: int


class ViewsOverTimeOut(BaseModel):
    bucket: Bucket = Field(description="hour, or day (UTC days).")
    points: list[ViewsPointOut] = Field(description="Every bucket of the window, oldest first.")


class RetentionOut(BaseModel):
    clip_seconds: int
    viewers: list[int] = Field(
        description="Viewers that reached clip i (seconds i × clip_seconds onwards), per clip."
    )


class AnalyticsOut(BaseModel):
    """Counts as the owner sees them: their own latest events included at once."""

    video_id: uuid.UUID
    title: str
    duration: float | None
    created_at: datetime
    views: int
    likes: int
    dislikes: int
    watch_seconds: float
    views_over_time: ViewsOverTimeOut
    retention: RetentionOut
