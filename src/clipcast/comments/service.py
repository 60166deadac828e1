"""Use cases of comments: post, read a video's threads, read a thread's replies, edit, remove."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity.rules import Reaction
from clipcast.comments import repository as repo
from clipcast.comments.models import Comment
from clipcast.comments.reactions import NO_REACTIONS, Reactions
from clipcast.comments.rules import CommentSort, RateRule, clean_body, retry_after
from clipcast.comments.schemas import AuthorOut, CommentOut, CommentPage, RepliesPage
from clipcast.core.errors import Forbidden, InvalidInput, NotFound, TooManyRequests
from clipcast.core.ids import new_id
from clipcast.outbox.repository import add_event
from clipcast.videos.access import visible_video
from clipcast.videos.models import Video

MAX_PER_PAGE = 50
# Replies shown under each thread of a page; the rest come from the thread's replies route.
INLINE_REPLIES = 3
# How far down the popular-comments order `sort=top` reads; below it, threads go newest first.
TOP_DEPTH = 500


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"page starts at 1; per_page is 1–{MAX_PER_PAGE}.", code="bad_page")


def _comment_missing() -> NotFound:
    return NotFound("No such comment.", code="comment_not_found")


async def _thread_for_reply(
    session: AsyncSession, video_id: uuid.UUID, parent_id: uuid.UUID
) -> uuid.UUID:
    """The thread a reply joins: the parent's own thread when the parent is itself a reply."""
    parent = await session.get(Comment, parent_id)
    if parent is None or parent.video_id != video_id:
        raise _comment_missing()
    return parent.parent_id or parent.id


async def create_comment(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    author_id: uuid.UUID,
    body: str,
    parent_id: uuid.UUID | None,
    now: datetime,
    rule: RateRule,
) -> CommentOut:
    """Post a comment or a reply on a video the author may see; announced as comment.created."""
    text = clean_body(body)
    async with sessions() as session:
        video = await visible_video(session, video_id, author_id)
        thread = await _thread_for_reply(session, video.id, parent_id) if parent_id else None
        await repo.serialise_author(session, author_id)
        comment = Comment(
            id=new_id(),
            video_id=video.id,
            author_id=author_id,
            parent_id=thread,
            body=text,
            created_at=now,
        )
        session.add(comment)
        await session.flush()  # on SQLite the write lock is held from here: posts are serial
        await _check_rate(session, comment, now, rule)
        add_event(session, "comment.created", _event(comment), now)
        await session.commit()
        return (await _outs(session, [comment], video, author_id, NO_REACTIONS))[0]


async def _check_rate(
    session: AsyncSession, comment: Comment, now: datetime, rule: RateRule
) -> None:
    latest = await repo.latest_times(
        session, comment.author_id, besides=comment.id, limit=rule.count
    )
    wait = retry_after(latest, now, rule)
    if wait is not None:
        await session.rollback()
        raise TooManyRequests(
            f"At most {rule.count} comments per {int(rule.window.total_seconds())} s; "
            f"try again in {wait} s.",
            retry_after=wait,
        )


def _event(comment: Comment, **extra: str) -> dict[str, str | None]:
    return {
        "comment_id": str(comment.id),
        "video_id": str(comment.video_id),
        "parent_id": str(comment.parent_id) if comment.parent_id else None,
        "author_id": str(comment.author_id),
        **extra,
    }


async def list_comments(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    sort: CommentSort,
    page: int,
    per_page: int,
    reactions: Reactions,
) -> CommentPage:
    """One page of a video's threads (top: most liked first, then newest), with first replies."""
    _check_page(page, per_page)
    async with sessions() as session:
        video = await visible_video(session, video_id, viewer_id)
        total, threads = await repo.counts(session, video.id)
        offset = (page - 1) * per_page
        if sort is CommentSort.TOP:
            items = await _top_threads(session, video.id, offset, per_page, reactions)
        else:
            items = await repo.threads_newest(
                session, video.id, besides=(), offset=offset, limit=per_page
            )
        outs = await _outs(session, items, video, viewer_id, reactions, with_replies=True)
    return CommentPage(
        video_id=video.id,
        sort=sort,
        total=total,
        threads=threads,
        page=page,
        per_page=per_page,
        items=outs,
    )


async def _top_threads(
    session: AsyncSession, video_id: uuid.UUID, offset: int, limit: int, reactions: Reactions
) -> list[Comment]:
    """The popular-comments order, then every other thread newest first."""
    ranked_ids = await reactions.popular(video_id, TOP_DEPTH)
    found = await repo.threads_among(session, video_id, ranked_ids)
    ranked = [found[i] for i in ranked_ids if i in found]  # replies and gone ones drop out
    head = ranked[offset : offset + limit]
    if len(head) == limit:
        return head
    rest = await repo.threads_newest(
        session,
        video_id,
        besides=[c.id for c in ranked],
        offset=max(0, offset - len(ranked)),
        limit=limit - len(head),
    )
    return head + rest


async def list_replies(
    *,
    sessions: async_sessionmaker[AsyncSession],
    comment_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    page: int,
    per_page: int,
    reactions: Reactions,
) -> RepliesPage:
    """A thread's replies, oldest first."""
    _check_page(page, per_page)
    async with sessions() as session:
        parent, video = await _visible_comment(session, comment_id, viewer_id)
        if parent.parent_id is not None:
            raise InvalidInput("Replies have no replies of their own.", code="not_a_thread")
        total = (await repo.reply_counts(session, [parent.id])).get(parent.id, 0)
        items = await repo.replies_page(
            session, parent.id, offset=(page - 1) * per_page, limit=per_page
        )
        outs = await _outs(session, items, video, viewer_id, reactions)
    return RepliesPage(parent_id=parent.id, total=total, page=page, per_page=per_page, items=outs)


async def _visible_comment(
    session: AsyncSession, comment_id: uuid.UUID, user_id: uuid.UUID | None
) -> tuple[Comment, Video]:
    """The comment and its video if the caller may see the video; a hidden one is missing."""
    comment = await session.get(Comment, comment_id)
    if comment is None:
        raise _comment_missing()
    try:
        video = await visible_video(session, comment.video_id, user_id)
    except NotFound:
        raise _comment_missing() from None
    return comment, video


async def edit_comment(
    *,
    sessions: async_sessionmaker[AsyncSession],
    comment_id: uuid.UUID,
    user_id: uuid.UUID,
    body: str,
    now: datetime,
    reactions: Reactions,
) -> CommentOut:
    """The author rewrites their comment; it shows as edited."""
    text = clean_body(body)
    async with sessions() as session:
        comment, video = await _visible_comment(session, comment_id, user_id)
        if comment.author_id != user_id:
            raise Forbidden("Only its author may edit a comment.", code="not_comment_author")
        if text != comment.body:
            comment.body = text
            comment.edited_at = now
            await session.commit()
        return (await _outs(session, [comment], video, user_id, reactions, with_replies=True))[0]


async def delete_comment(
    *,
    sessions: async_sessionmaker[AsyncSession],
    comment_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
) -> None:
    """The author, or the video's owner, removes a comment (a thread goes with its replies);
    each removed comment is announced as comment.deleted."""
    async with sessions() as session:
        comment, video = await _visible_comment(session, comment_id, user_id)
        if user_id not in (comment.author_id, video.owner_id):
            raise Forbidden(
                "Only its author or the video's owner may remove a comment.",
                code="not_comment_author",
            )
        by = "author" if user_id == comment.author_id else "video_owner"
        for gone in await repo.remove_with_replies(session, comment):
            add_event(session, "comment.deleted", _event(gone, removed_by=by), now)
        await session.commit()


async def _outs(
    session: AsyncSession,
    comments: list[Comment],
    video: Video,
    viewer_id: uuid.UUID | None,
    reactions: Reactions,
    *,
    with_replies: bool = False,
) -> list[CommentOut]:
    """API shapes of these comments, threads with their first replies and reply counts."""
    threads = [c.id for c in comments if c.parent_id is None]
    replies = await repo.first_replies(session, threads, INLINE_REPLIES) if with_replies else []
    every = comments + replies
    names = await repo.usernames(session, {c.author_id for c in every})
    replied = await repo.reply_counts(session, threads)
    votes = await reactions.counts([c.id for c in every])
    mine = await reactions.mine([c.id for c in every]) if viewer_id else {}

    def out(c: Comment) -> CommentOut:
        likes, dislikes = votes.get(c.id, (0, 0))
        return CommentOut(
            id=c.id,
            video_id=c.video_id,
            parent_id=c.parent_id,
            author=AuthorOut(id=c.author_id, username=names.get(c.author_id, "")),
            body=c.body,
            created_at=c.created_at,
            edited_at=c.edited_at,
            likes=likes,
            dislikes=dislikes,
            my_reaction=mine.get(c.id, Reaction.NONE) if viewer_id else None,
            reply_count=replied.get(c.id, 0),
            can_edit=viewer_id == c.author_id,
            can_delete=viewer_id is not None and viewer_id in (c.author_id, video.owner_id),
            replies=[out(r) for r in replies if r.parent_id == c.id],
        )

    return [out(c) for c in comments]
