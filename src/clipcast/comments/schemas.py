"""API shapes of comments: what a caller posts and edits, and the threads they read."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from clipcast.activity.rules import Reaction
from clipcast.comments.rules import CommentSort


class CommentIn(BaseModel):
    # Length and characters are checked by rules.clean_body, which answers with a stable code.
    body: str
    parent_id: uuid.UUID | None = None


class CommentPatch(BaseModel):
    body: str


class AuthorOut(BaseModel):
    id: uuid.UUID
    username: str


class CommentOut(BaseModel):
    id: uuid.UUID
    video_id: uuid.UUID
    parent_id: uuid.UUID | None
    author: AuthorOut
    body: str
    created_at: datetime
    edited_at: datetime | None
    likes: int
    dislikes: int
    my_reaction: Reaction | None  # the caller's own; None for an anonymous caller
    reply_count: int
    # What the caller may do with it: the author edits; the author or the video's owner removes.
    can_edit: bool
    can_delete: bool
    replies: list[CommentOut] = []


class CommentPage(BaseModel):
    """One page of a video's threads, each with its first replies."""

    video_id: uuid.UUID
    sort: CommentSort
    total: int  # every comment on the video, replies included
    threads: int  # top-level comments
    page: int
    per_page: int
    items: list[CommentOut]


class RepliesPage(BaseModel):
    parent_id: uuid.UUID
    total: int
    page: int
    per_page: int
    items: list[CommentOut]
