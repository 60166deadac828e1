"""Routes of comments: a video's threads, a thread's replies, post, edit, remove."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from clipcast.accounts.models import User
from clipcast.activity.votes import CommentVotes
from clipcast.comments import service
from clipcast.comments.reactions import CounterReactions, Reactions
from clipcast.comments.rules import CommentSort, RateRule
from clipcast.comments.schemas import CommentIn, CommentOut, CommentPage, CommentPatch, RepliesPage
from clipcast.core.clock import utcnow
from clipcast.web.deps import AdaptersDep, CurrentUser, OptionalUser

router = APIRouter(prefix="/api/v1", tags=["comments"])

POSTING_LIMIT = RateRule()


def _reactions(adapters: AdaptersDep, user: User | None) -> Reactions:
    votes = CommentVotes(
        sessions=adapters.sessions,
        counters=adapters.counters,
        viewer_id=user.id if user else None,  # a signed-in viewer's id is their user id
        clip_seconds=adapters.settings.clip_seconds,
    )
    return CounterReactions(votes, adapters.counters)


@router.get("/videos/{video_id}/comments")
async def list_comments(
    video_id: uuid.UUID,
    adapters: AdaptersDep,
    user: OptionalUser,
    sort: CommentSort = CommentSort.TOP,
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(20, ge=1, le=service.MAX_PER_PAGE),
) -> CommentPage:
    return await service.list_comments(
        sessions=adapters.sessions,
        video_id=video_id,
        viewer_id=user.id if user else None,
        sort=sort,
        page=page,
        per_page=per_page,
        reactions=_reactions(adapters, user),
    )


@router.post("/videos/{video_id}/comments", status_code=201)
async def post_comment(
    video_id: uuid.UUID, body: CommentIn, adapters: AdaptersDep, user: CurrentUser
) -> CommentOut:
    return await service.create_comment(
        sessions=adapters.sessions,
        video_id=video_id,
        author_id=user.id,
        body=body.body,
        parent_id=body.parent_id,
        now=utcnow(),
        rule=POSTING_LIMIT,
    )


@router.get("/comments/{comment_id}/replies")
async def list_replies(
    comment_id: uuid.UUID,
    adapters: AdaptersDep,
    user: OptionalUser,
    page: int = Query(1, ge=1, le=100_000),
    per_page: int = Query(20, ge=1, le=service.MAX_PER_PAGE),
) -> RepliesPage:
    return await service.list_replies(
        sessions=adapters.sessions,
        comment_id=comment_id,
        viewer_id=user.id if user else None,
        page=page,
        per_page=per_page,
        reactions=_reactions(adapters, user),
    )


@router.patch("/comments/{comment_id}")
async def edit_comment(
    comment_id: uuid.UUID, body: CommentPatch, adapters: AdaptersDep, user: CurrentUser
) -> CommentOut:
    return await service.edit_comment(
        sessions=adapters.sessions,
        comment_id=comment_id,
        user_id=user.id,
        body=body.body,
        now=utcnow(),
        reactions=_reactions(adapters, user),
    )


@router.delete("/comments/{comment_id}", status_code=204)
async def delete_comment(comment_id: uuid.UUID, adapters: AdaptersDep, user: CurrentUser) -> None:
    await service.delete_comment(
        sessions=adapters.sessions, comment_id=comment_id, user_id=user.id, now=utcnow()
    )
