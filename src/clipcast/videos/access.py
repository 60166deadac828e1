"""Who may see a video: the one answer every feature asks (watch, listings, search, comments,
activity, recommendations). A video the caller may not see is reported as missing, never as
forbidden. The rule itself is pure (lifecycle.can_watch / can_find); this module reads what it
needs: the video, and whether the caller is in one of its share groups."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from clipcast.core.errors import NotFound
from clipcast.groups.models import GroupMember, VideoGroup
from clipcast.videos.lifecycle import Visibility, can_watch
from clipcast.videos.models import Video


def _shared_with(user_id: uuid.UUID) -> ColumnElement[bool]:
    """Videos shared with a group this user is a member of."""
    return Video.id.in_(
        select(VideoGroup.video_id)
        .join(GroupMember, GroupMember.group_id == VideoGroup.group_id)
        .where(GroupMember.user_id == user_id)
    )


async def member_group_ids(session: AsyncSession, user_id: uuid.UUID | None) -> set[uuid.UUID]:
    """The groups `user_id` is a member of (what search filters group videos by)."""
    if user_id is None:
        return set()
    rows = await session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id))
    return set(rows)


async def _in_group(session: AsyncSession, video_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(VideoGroup.video_id)
        .join(GroupMember, GroupMember.group_id == VideoGroup.group_id)
        .where(VideoGroup.video_id == video_id, GroupMember.user_id == user_id)
        .limit(1)
    )
    return found is not None


async def may_see(session: AsyncSession, video: Video, user_id: uuid.UUID | None) -> bool:
    """Whether `user_id` (None: an anonymous viewer) may see this video's page and media."""
    visibility = Visibility(video.visibility)
    in_group = False
    if visibility is Visibility.GROUP and user_id is not None and user_id != video.owner_id:
        in_group = await _in_group(session, video.id, user_id)
    return can_watch(
        visibility=visibility,
        owner_id=video.owner_id,
        viewer_id=user_id,
        has_token=False,
        in_group=in_group,
    )


async def visible_video(
    session: AsyncSession, video_id: uuid.UUID, user_id: uuid.UUID | None
) -> Video:
    """The video if the caller may see it; otherwise NotFound, so hidden ids are not revealed."""
    video = await session.get(Video, video_id)
    if video is None or not await may_see(session, video, user_id):
        raise NotFound("No such video.", code="video_not_found")
    return video


async def visible_ids(
    session: AsyncSession, video_ids: Collection[uuid.UUID], user_id: uuid.UUID | None
) -> set[uuid.UUID]:
    """Those of `video_ids` the caller may see, in two queries however many there are (for
    pages of comments, activity batches, recommendations); unknown ids are left out."""
    if not video_ids:
        return set()
    rows = (
        await session.execute(
            select(Video.id, Video.owner_id, Video.visibility).where(Video.id.in_(video_ids))
        )
    ).all()
    shared: set[uuid.UUID] = set()
    if user_id is not None and any(r.visibility == Visibility.GROUP for r in rows):
        shared = set(
            await session.scalars(
                select(Video.id).where(Video.id.in_(video_ids), _shared_with(user_id))
            )
        )
    return {
        r.id
        for r in rows
        if can_watch(
            visibility=Visibility(r.visibility),
            owner_id=r.owner_id,
            viewer_id=user_id,
            has_token=False,
            in_group=r.id in shared,
        )
    }


def listed_for(user_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The SQL form of "shown in the site's listing to this caller": public videos, and group
    videos shared with a group the caller is in. (The owner finds their own under `mine`.)"""
    public = Video.visibility == Visibility.PUBLIC
    if user_id is None:
        return public
    return or_(public, and_(Video.visibility == Visibility.GROUP, _shared_with(user_id)))
