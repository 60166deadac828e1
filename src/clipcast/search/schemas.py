"""API shapes of search results and suggestions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from clipcast.videos.schemas import OwnerOut


class SearchItemOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    # HTML: the text escaped, matching words in <mark>; nothing else is markup.
    snippet_title: str
    snippet_description: str
    tags: list[str]
    duration: float | None
    created_at: datetime
    owner: OwnerOut
    thumbnails: dict[str, Any] = Field(default_factory=dict)
    score: float | None  # relevance; null when sorted by date or popularity
    live: bool = False  # a live stream on the air


class SearchPageOut(BaseModel):
    items: list[SearchItemOut]
    total: int
    page: int
    per_page: int


class SuggestOut(BaseModel):
    suggestions: list[str]
