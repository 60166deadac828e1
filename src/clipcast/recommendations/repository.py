"""Queries of recommendations: what a refresh reads (videos, tags, watches, groups, edits) and
writes (lists, taste tags, up next, models), and what the API reads back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.accounts.models import User
from clipcast.activity.models import WatchHistory
from clipcast.comments.models import Comment
from clipcast.groups.models import GroupMember, VideoGroup
from clipcast.recommendations.dataset import VideoRow, WatchRow
from clipcast.recommendations.models import (
    PendingRefresh,
    Recommendation,
    RecsModel,
    UpNext,
    UserTagRow,
    VideoTagRow,
)
from clipcast.recommendations.pipeline import Item
from clipcast.recommendations.tags import TagSource, VideoTag
from clipcast.recommendations.taste import TagEdit
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video

CHUNK = 500  # rows per statement, well under every driver's parameter limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def catalogue(session: AsyncSession) -> list[VideoRow]:
    """Ready videos that may be recommended: public ones, and group ones (to members)."""
    rows = await session.execute(
        select(Video.id, Video.owner_id, Video.created_at, Video.visibility).where(
            Video.state == VideoState.READY,
            Video.visibility.in_([Visibility.PUBLIC, Visibility.GROUP]),
        )
    )
    return [
        VideoRow(r.id, r.owner_id, r.created_at, r.visibility == Visibility.PUBLIC) for r in rows
    ]


async def tags_of(
    session: AsyncSession, video_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, float]]:
    query = select(VideoTagRow.video_id, VideoTagRow.tag, VideoTagRow.weight)
    out: dict[uuid.UUID, dict[str, float]] = defaultdict(dict)
    if video_ids is not None:
        for part in chunks(list(video_ids)):
            for r in await session.execute(query.where(VideoTagRow.video_id.in_(part))):
                out[r.video_id][r.tag] = r.weight
        return dict(out)
    for r in await session.execute(query):
        out[r.video_id][r.tag] = r.weight
    return dict(out)


async def tag_rows(session: AsyncSession, video_id: uuid.UUID) -> list[VideoTag]:
    rows = await session.scalars(
        select(VideoTagRow)
        .where(VideoTagRow.video_id == video_id)
        .order_by(VideoTagRow.weight.desc(), VideoTagRow.tag)
    )
    return [VideoTag(r.tag, r.weight, TagSource(r.source)) for r in rows]


async def replace_tags(
    session: AsyncSession, video_id: uuid.UUID, tags: Sequence[VideoTag], *, carried: bool
) -> None:
    """Replace a video's tags of one kind: the carried-over ones, or all the others."""
    is_carried = VideoTagRow.source == TagSource.CARRIED
    await session.execute(
        delete(VideoTagRow).where(
            VideoTagRow.video_id == video_id, is_carried if carried else ~is_carried
        )
    )
    taken = set(
        await session.scalars(select(VideoTagRow.tag).where(VideoTagRow.video_id == video_id))
    )
    rows = [
        {"video_id": video_id, "tag": t.tag, "weight": t.weight, "source": t.source}
        for t in tags
        if t.tag not in taken
    ]
    if rows:
        await session.execute(insert(VideoTagRow), rows)


async def watches(
    session: AsyncSession, user_ids: Collection[uuid.UUID] | None = None
) -> list[WatchRow]:
    """Users' watch history with likes, dislikes and whether they commented (anonymous
    viewers' rows, whose viewer ids are not users, are left out)."""
    query = select(
        WatchHistory.viewer_id,
        WatchHistory.video_id,
        WatchHistory.last_watched_at,
        WatchHistory.progress,
        WatchHistory.reaction,
        WatchHistory.reaction_ms,
    ).join(User, User.id == WatchHistory.viewer_id)
    commented = select(Comment.author_id, Comment.video_id).distinct()
    if user_ids is not None:
        query = query.where(WatchHistory.viewer_id.in_(list(user_ids)))
        commented = commented.where(Comment.author_id.in_(list(user_ids)))
    said = {(r.author_id, r.video_id) for r in await session.execute(commented)}
    out = []
    for r in await session.execute(query):
        at = r.last_watched_at or (
            datetime.fromtimestamp(r.reaction_ms / 1000, UTC) if r.reaction_ms else None
        )
        if at is None:
            continue
        out.append(
            WatchRow(
                user_id=r.viewer_id,
                video_id=r.video_id,
                at=at,
                completion=float(r.progress or 0.0),
                liked=r.reaction == "like",
                disliked=r.reaction == "dislike",
                commented=(r.viewer_id, r.video_id) in said,
            )
        )
    return out


async def grants(
    session: AsyncSession, user_ids: Collection[uuid.UUID] | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(user, video) for every group video shared with a group the user is in."""
    query = select(GroupMember.user_id, VideoGroup.video_id).join(
        VideoGroup, VideoGroup.group_id == GroupMember.group_id
    )
    if user_ids is not None:
        query = query.where(GroupMember.user_id.in_(list(user_ids)))
    return [(r.user_id, r.video_id) for r in await session.execute(query)]


async def edits(
    session: AsyncSession, user_ids: Collection[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, TagEdit]]:
    query = select(UserTagRow).where(or_(UserTagRow.muted.is_(True), UserTagRow.added.is_(True)))
    if user_ids is not None:
        query = query.where(UserTagRow.user_id.in_(list(user_ids)))
    out: dict[uuid.UUID, dict[str, TagEdit]] = defaultdict(dict)
    for r in await session.scalars(query):
        out[r.user_id][r.tag] = TagEdit(muted=r.muted, added=r.added)
    return dict(out)


async def watcher_counts(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Signed-in viewers per video, all time: the popularity floor under the hot score."""
    rows = await session.execute(
        select(WatchHistory.video_id, func.count())
        .join(User, User.id == WatchHistory.viewer_id)
        .group_by(WatchHistory.video_id)
    )
    return {r[0]: int(r[1]) for r in rows}


async def replace_lists(
    session: AsyncSession,
    lists: Mapping[uuid.UUID, Sequence[Item]],
    *,
    now: datetime,
    version: int | None,
) -> None:
    users = list(lists)
    for part in chunks(users):
        await session.execute(delete(Recommendation).where(Recommendation.user_id.in_(part)))
    rows = [
        {
            "user_id": user,
            "rank": n,
            "video_id": item.video_id,
            "score": item.score,
            "reason": item.reason,
            "reason_tag": item.tag,
            "reason_video_id": item.anchor,
            "model_version": version,
            "created_at": now,
        }
        for user, items in lists.items()
        for n, item in enumerate(items)
    ]
    for part in chunks(rows):
        await session.execute(insert(Recommendation), list(part))


async def replace_taste(
    session: AsyncSession, taste: Mapping[uuid.UUID, Mapping[str, float]], *, now: datetime
) -> None:
    """Computed taste rows are replaced; muted and hand-added rows stay as the user left them."""
    users = list(taste)
    kept: set[tuple[uuid.UUID, str]] = set()
    for part in chunks(users):
        computed = and_(UserTagRow.muted.is_(False), UserTagRow.added.is_(False))
        await session.execute(delete(UserTagRow).where(UserTagRow.user_id.in_(part), computed))
        found = await session.execute(
            select(UserTagRow.user_id, UserTagRow.tag).where(UserTagRow.user_id.in_(part))
        )
        kept.update((r.user_id, r.tag) for r in found)
    rows = [
        {"user_id": u, "tag": t, "weight": w, "muted": False, "added": False, "updated_at": now}
        for u, tags in taste.items()
        for t, w in tags.items()
        if (u, t) not in kept
    ]
    for part in chunks(rows):
        await session.execute(insert(UserTagRow), list(part))


async def replace_up_next(
    session: AsyncSession, up_next: Mapping[uuid.UUID, Sequence[tuple[uuid.UUID, float]]]
) -> None:
    await session.execute(delete(UpNext))
    rows = [
        {"video_id": v, "rank": n, "next_video_id": nxt, "strength": s}
        for v, nexts in up_next.items()
        for n, (nxt, s) in enumerate(nexts)
    ]
    for part in chunks(rows):
        await session.execute(insert(UpNext), list(part))


async def latest_model(session: AsyncSession) -> RecsModel | None:
    return await session.scalar(select(RecsModel).order_by(RecsModel.version.desc()).limit(1))


async def next_version(session: AsyncSession) -> int:
    top = await session.scalar(select(func.max(RecsModel.version)))
    return int(top or 0) + 1


async def old_models(session: AsyncSession, keep: int) -> list[RecsModel]:
    rows = await session.scalars(select(RecsModel).order_by(RecsModel.version.desc()))
    return list(rows)[keep:]


async def request_refresh(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, due: datetime
) -> None:
    """Ask for a refresh at `due`; a request already waiting keeps its first time, so a user
    who never stops is still refreshed after the longest wait."""
    found = await session.get(PendingRefresh, user_id)
    if found is None:
        session.add(PendingRefresh(user_id=user_id, first_at=now, due_at=due))
    else:
        found.due_at = due


async def due_refreshes(
    session: AsyncSession, *, now: datetime, longest_wait_started: datetime, limit: int
) -> list[PendingRefresh]:
    rows = await session.scalars(
        select(PendingRefresh)
        .where(or_(PendingRefresh.due_at <= now, PendingRefresh.first_at <= longest_wait_started))
        .order_by(PendingRefresh.due_at)
        .limit(limit)
    )
    return list(rows)


async def done_refreshes(session: AsyncSession, done: Sequence[PendingRefresh]) -> None:
    """Forget requests that did not move while we worked (a newer one waits its turn)."""
    for row in done:
        await session.execute(
            delete(PendingRefresh).where(
                PendingRefresh.user_id == row.user_id, PendingRefresh.due_at == row.due_at
            )
        )
