"""Who a video is for, as its owner sets it: visibility, the share groups of a `group` video,
and the key version that revokes playback tokens at once when that audience narrows.

Writes go through here (a part of `clipcast.videos`, which owns the video row); the groups
feature calls `revoke` and `groups_gone` when a member leaves a group or a group is deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.core.errors import InvalidInput
from clipcast.groups.models import Group, VideoGroup
from clipcast.outbox.repository import add_event
from clipcast.videos.lifecycle import Audience, Visibility, narrows
from clipcast.videos.models import Video

MAX_GROUPS_PER_VIDEO = 20
VIDEO_UPDATED = "video.updated"


def parse_group_ids(raw: str) -> tuple[uuid.UUID, ...]:
    """Group ids as tus metadata carries them: comma-separated; blanks ignored, order kept."""
    out: dict[uuid.UUID, None] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        try:
            out.setdefault(uuid.UUID(part.strip()))
        except ValueError:
            raise InvalidInput(
                f"{part.strip()[:40]!r} is not a group id.", code="bad_group_id"
            ) from None
    return tuple(out)


def check_audience(visibility: Visibility, group_ids: Collection[uuid.UUID]) -> None:
    """A `group` video names 1 to MAX_GROUPS_PER_VIDEO groups; no other visibility names any."""
    if visibility is not Visibility.GROUP:
        if group_ids:
            raise InvalidInput(
                "Groups are only given with visibility 'group'.", code="groups_without_group"
            )
        return
    if not group_ids:
        raise InvalidInput("Visibility 'group' needs at least one group.", code="no_groups")
    if len(group_ids) > MAX_GROUPS_PER_VIDEO:
        raise InvalidInput(
            f"A video is shared with at most {MAX_GROUPS_PER_VIDEO} groups.", code="too_many_groups"
        )


async def groups_of(
    session: AsyncSession, video_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The share groups of each video (only `group` videos have any)."""
    if not video_ids:
        return {}
    rows = await session.execute(
        select(VideoGroup.video_id, VideoGroup.group_id).where(VideoGroup.video_id.in_(video_ids))
    )
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    for video_id, group_id in rows:
        out.setdefault(video_id, []).append(group_id)
    return out


async def check_owned(
    *,
    sessions: async_sessionmaker[AsyncSession],
    owner_id: uuid.UUID,
    group_ids: Collection[uuid.UUID],
) -> None:
    """Refuse groups that are not the owner's before anything is created (an upload)."""
    if group_ids:
        async with sessions() as session:
            await _check_owned(session, owner_id, group_ids)


async def _check_owned(
    session: AsyncSession, owner_id: uuid.UUID, group_ids: Collection[uuid.UUID]
) -> None:
    """Only the owner's own groups: another owner's group answers as a missing one does."""
    if not group_ids:
        return
    owned = set(
        await session.scalars(
            select(Group.id).where(Group.id.in_(group_ids), Group.owner_id == owner_id)
        )
    )
    for group_id in group_ids:
        if group_id not in owned:
            raise InvalidInput(f"You have no group {group_id}.", code="group_not_found")


async def share_new(session: AsyncSession, video: Video, group_ids: Sequence[uuid.UUID]) -> None:
    """The groups of a video being created, in the caller's transaction (after a flush)."""
    check_audience(Visibility(video.visibility), group_ids)
    await _check_owned(session, video.owner_id, group_ids)
    session.add_all(VideoGroup(video_id=video.id, group_id=g) for g in group_ids)


async def set_audience(
    session: AsyncSession,
    video: Video,
    visibility: Visibility,
    group_ids: Sequence[uuid.UUID] | None,
) -> bool:
    """Give the video a new visibility (and groups), in the caller's transaction; True if it
    changed. `group_ids` None keeps a group video's groups. When someone who could watch may
    no longer, the key version moves on and every playback token handed out stops working."""
    # Locked and re-read: a concurrent revoke must not be lost under this one's increment.
    await session.refresh(video, ["key_version"], with_for_update=True)
    current = (await groups_of(session, [video.id])).get(video.id, [])
    if group_ids is None:
        group_ids = current if visibility is Visibility.GROUP else []
    check_audience(visibility, group_ids)
    await _check_owned(session, video.owner_id, group_ids)
    old = Audience(Visibility(video.visibility), frozenset(current))
    new = Audience(visibility, frozenset(group_ids))
    if old == new:
        return False
    await session.execute(delete(VideoGroup).where(VideoGroup.video_id == video.id))
    session.add_all(VideoGroup(video_id=video.id, group_id=g) for g in group_ids)
    video.visibility = visibility
    if narrows(old, new):
        video.key_version += 1
    return True


async def revoke(session: AsyncSession, video_ids: Collection[uuid.UUID], now: datetime) -> None:
    """Every playback token of these videos stops working (a member left one of their groups);
    the search index learns their new key version from the announced update."""
    if not video_ids:
        return
    await session.execute(
        update(Video)
        .where(Video.id.in_(video_ids))
        .values(key_version=Video.key_version + 1, updated_at=now)
    )
    for video_id in sorted(video_ids):
        add_event(
            session, VIDEO_UPDATED, {"video_id": str(video_id), "fields": ["key_version"]}, now
        )


async def groups_gone(
    session: AsyncSession, video_ids: Collection[uuid.UUID], now: datetime
) -> None:
    """After share groups were deleted (their rows already gone in this transaction): revoke
    the tokens of the videos shared with them, and make a video left with no group private
    rather than a `group` video nobody is in."""
    if not video_ids:
        return
    still_shared = await groups_of(session, list(video_ids))
    orphans = [v for v in video_ids if v not in still_shared]
    if orphans:
        await session.execute(
            update(Video)
            .where(Video.id.in_(orphans), Video.visibility == Visibility.GROUP)
            .values(visibility=Visibility.PRIVATE)
        )
    await revoke(session, video_ids, now)


async def videos_shared_with(session: AsyncSession, group_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(select(VideoGroup.video_id).where(VideoGroup.group_id == group_id))
    return list(rows)
