"""What the API reads: a user's stored list (re-checked against who may see what, what they
have watched since, and the tags they muted), up next for a video, popular videos for
visitors, and a user's taste tags."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.accounts.models import User
from clipcast.activity.models import WatchHistory
from clipcast.activity.reads import hot_videos
from clipcast.adapters.counters.base import Counters
from clipcast.recommendations import diversity
from clipcast.recommendations.dataset import MUTED_FROM_WEIGHT
from clipcast.recommendations.models import Recommendation, UpNext, UserTagRow, VideoTagRow
from clipcast.recommendations.reasons import Reason, ReasonKind
from clipcast.recommendations.schemas import CardOut, RecommendationsOut, RowOut, TagOut
from clipcast.thumbnails.urls import thumbnail_urls
from clipcast.videos.access import visible_ids
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from clipcast.videos.schemas import OwnerOut
from clipcast.videos.service import Viewer, media_root_for

Sessions = async_sessionmaker[AsyncSession]
ROW_SIZE = 10
CHANNEL_SHARE = 0.3
POPULAR_SIZE = 20
UP_NEXT_SIZE = 12
# Items of the stored list a read looks at (the list keeps more, for what is hidden since).
SERVED = 40
# A muted tag hides the videos it describes well, not every video that mentions it in passing.
MUTE_HIDES_FROM_WEIGHT = MUTED_FROM_WEIGHT


@dataclass(frozen=True)
class Why:
    """A stored reason: its anchor is a video id."""

    kind: ReasonKind
    tag: str | None = None
    anchor: uuid.UUID | None = None

    def text(self, anchor_title: str | None) -> str:
        return Reason(self.kind, tag=self.tag).text(anchor_title)


@dataclass(frozen=True)
class Shown:
    video: Any  # a row of _CARD_COLUMNS
    owner: str
    why: Why
    anchor_title: str | None


# Only what a card shows: plain rows, no ORM objects to build (this is the hot read).
_CARD_COLUMNS = (
    Video.id,
    Video.owner_id,
    Video.title,
    Video.duration,
    Video.created_at,
    Video.visibility,
    Video.key_version,
    Video.thumbnails,
    Video.state,
    User.username,
)


async def _shown(
    session: AsyncSession, picks: Sequence[tuple[uuid.UUID, Why]], user_id: uuid.UUID | None
) -> list[Shown]:
    """The picks the caller may see, ready, in order; anchors they may not see go unnamed."""
    ids = {v for v, _ in picks}
    anchors = {w.anchor for _, w in picks if w.anchor is not None}
    allowed = await visible_ids(session, ids | anchors, user_id)
    rows = await session.execute(
        select(*_CARD_COLUMNS).join(User, User.id == Video.owner_id).where(Video.id.in_(allowed))
    )
    videos = {r.id: r for r in rows}
    out = []
    for video_id, why in picks:
        video = videos.get(video_id)
        if video is None or video.state != VideoState.READY:
            continue
        anchor = videos.get(why.anchor) if why.anchor is not None else None
        out.append(Shown(video, video.username, why, anchor.title if anchor else None))
    return out


def card(shown: Shown, viewer: Viewer) -> CardOut:
    video = shown.video
    root, _ = media_root_for(
        Visibility(video.visibility),
        video.id,
        base_url=viewer.base_url,
        secret=viewer.secret,
        token_ttl=viewer.token_ttl,
        now=viewer.now,
        key_version=video.key_version,
    )
    return CardOut(
        id=video.id,
        title=video.title,
        duration=video.duration,
        owner=OwnerOut(id=video.owner_id, username=shown.owner),
        created_at=video.created_at,
        thumbnails=thumbnail_urls(video.thumbnails, root, video.id),
        reason=shown.why.kind.value,
        reason_text=shown.why.text(shown.anchor_title),
        reason_tag=shown.why.tag,
        reason_video_id=shown.why.anchor if shown.anchor_title else None,
    )


def _capped(shown: list[Shown], limit: int) -> list[Shown]:
    ordered = diversity.cap_channels(
        shown, lambda s: s.video.owner_id, row_size=ROW_SIZE, share=CHANNEL_SHARE
    )
    return ordered[:limit]


async def _hidden_for(
    session: AsyncSession, user_id: uuid.UUID, video_ids: set[uuid.UUID]
) -> tuple[set[uuid.UUID], set[str]]:
    """Of `video_ids`: those the user watched or reacted to since the list was made, and
    those a muted tag describes; and the muted tags (read-your-writes for both)."""
    seen = set(
        await session.scalars(
            select(WatchHistory.video_id).where(
                WatchHistory.viewer_id == user_id, WatchHistory.video_id.in_(video_ids)
            )
        )
    )
    muted = set(
        await session.scalars(
            select(UserTagRow.tag).where(UserTagRow.user_id == user_id, UserTagRow.muted.is_(True))
        )
    )
    if muted:
        seen |= set(
            await session.scalars(
                select(VideoTagRow.video_id).where(
                    VideoTagRow.video_id.in_(video_ids),
                    VideoTagRow.tag.in_(muted),
                    VideoTagRow.weight >= MUTE_HIDES_FROM_WEIGHT,
                )
            )
        )
    return seen, muted


def _row_title(why: Why, anchor_title: str | None) -> str:
    return why.text(anchor_title)


def _rows(shown: list[Shown], viewer: Viewer) -> list[RowOut]:
    """Rows by reason, in the order of each row's best item; each row channel-capped."""
    groups: dict[tuple[str, str | None, uuid.UUID | None], list[Shown]] = {}
    for s in shown:
        key = (s.why.kind.value, s.why.tag, s.why.anchor if s.anchor_title else None)
        groups.setdefault(key, []).append(s)
    return [
        RowOut(
            title=_row_title(items[0].why, items[0].anchor_title),
            reason=kind,
            tag=tag,
            items=[card(s, viewer) for s in _capped(items, ROW_SIZE)],
        )
        for (kind, tag, _), items in groups.items()
    ]


async def recommendations(
    *, sessions: Sessions, counters: Counters, viewer: Viewer
) -> RecommendationsOut:
    """The caller's stored list as rows; popular videos when there is none (or no caller)."""
    if viewer.user_id is None:
        return await popular(sessions=sessions, counters=counters, viewer=viewer)
    async with sessions() as session:
        stored = list(
            await session.execute(
                select(
                    Recommendation.video_id,
                    Recommendation.reason,
                    Recommendation.reason_tag,
                    Recommendation.reason_video_id,
                    Recommendation.model_version,
                    Recommendation.created_at,
                )
                .where(Recommendation.user_id == viewer.user_id)
                .order_by(Recommendation.rank)
                .limit(SERVED)
            )
        )
        if not stored:
            return await popular(sessions=sessions, counters=counters, viewer=viewer)
        hidden, muted = await _hidden_for(session, viewer.user_id, {r.video_id for r in stored})
        picks = [
            (r.video_id, Why(ReasonKind(r.reason), r.reason_tag, r.reason_video_id))
            for r in stored
            if r.video_id not in hidden and r.reason_tag not in muted
        ]
        shown = await _shown(session, picks, viewer.user_id)
    if not shown:  # everything watched or hidden since the list was made
        return await popular(sessions=sessions, counters=counters, viewer=viewer)
    return RecommendationsOut(
        personal=True,
        model_version=stored[0].model_version,
        generated_at=stored[0].created_at,
        rows=_rows(shown, viewer),
    )


async def _hot_picks(
    session: AsyncSession, counters: Counters, now: datetime, limit: int
) -> list[tuple[uuid.UUID, Why]]:
    """The hot set, then the most watched of all time, then the newest: something to show on a
    quiet site too. Each with its heaviest tag as "popular in #tag"."""
    hot = [v for v, _ in await hot_videos(counters=counters, now=now, limit=limit * 3)]
    newest = await session.scalars(
        select(Video.id)
        .where(Video.state == VideoState.READY, Video.visibility == Visibility.PUBLIC)
        .order_by(Video.created_at.desc())
        .limit(limit * 3)
    )
    ids = list(dict.fromkeys([*hot, *newest]))
    tags: dict[uuid.UUID, str] = {}
    rows = await session.execute(
        select(VideoTagRow.video_id, VideoTagRow.tag, VideoTagRow.weight)
        .where(VideoTagRow.video_id.in_(ids))
        .order_by(VideoTagRow.video_id, VideoTagRow.weight.desc(), VideoTagRow.tag)
    )
    for r in rows:
        tags.setdefault(r.video_id, r.tag)
    return [
        (v, Why(ReasonKind.POPULAR_IN_TAG, tags[v]) if v in tags else Why(ReasonKind.POPULAR))
        for v in ids
    ]


async def popular(*, sessions: Sessions, counters: Counters, viewer: Viewer) -> RecommendationsOut:
    """What a visitor (or a user with no history yet) sees: popular videos, one row."""
    async with sessions() as session:
        picks = await _hot_picks(session, counters, viewer.now, POPULAR_SIZE)
        if viewer.user_id is not None:
            seen, _ = await _hidden_for(session, viewer.user_id, {v for v, _ in picks})
            picks = [p for p in picks if p[0] not in seen]
        shown = await _shown(session, picks, viewer.user_id)
    items = [card(s, viewer) for s in _capped(shown, POPULAR_SIZE)]
    row = RowOut(title="Popular now", reason=ReasonKind.POPULAR.value, items=items)
    return RecommendationsOut(personal=False, rows=[row] if items else [])


async def up_next(*, sessions: Sessions, video_id: uuid.UUID, viewer: Viewer) -> list[CardOut]:
    """What viewers of this video went on to watch, then popular videos sharing its tags;
    what the caller has watched goes last rather than first."""
    async with sessions() as session:
        nexts = await session.scalars(
            select(UpNext.next_video_id).where(UpNext.video_id == video_id).order_by(UpNext.rank)
        )
        picks = [(v, Why(ReasonKind.ALSO_WATCHED, anchor=video_id)) for v in nexts]
        picks += await _same_tag_popular(session, video_id, UP_NEXT_SIZE * 2)
        picks = _first_of_each(picks, video_id)
        if viewer.user_id is not None:
            seen, _ = await _hidden_for(session, viewer.user_id, {v for v, _ in picks})
            picks.sort(key=lambda p: p[0] in seen)  # stable: order kept within each part
        shown = await _shown(session, picks, viewer.user_id)
    return [card(s, viewer) for s in _capped(shown, UP_NEXT_SIZE)]


def _first_of_each(
    picks: list[tuple[uuid.UUID, Why]], leave_out: uuid.UUID
) -> list[tuple[uuid.UUID, Why]]:
    taken = {leave_out}
    out = []
    for video, why in picks:
        if video not in taken:
            taken.add(video)
            out.append((video, why))
    return out


async def _same_tag_popular(
    session: AsyncSession, video_id: uuid.UUID, limit: int
) -> list[tuple[uuid.UUID, Why]]:
    """Videos sharing this one's heaviest tags, most watched first, as "popular in #tag"."""
    own = await session.scalars(
        select(VideoTagRow.tag)
        .where(VideoTagRow.video_id == video_id)
        .order_by(VideoTagRow.weight.desc(), VideoTagRow.tag)
        .limit(3)
    )
    out: list[tuple[uuid.UUID, Why]] = []
    for tag in list(own):
        watchers = func.count(WatchHistory.viewer_id)
        rows = await session.execute(
            select(VideoTagRow.video_id)
            .outerjoin(WatchHistory, WatchHistory.video_id == VideoTagRow.video_id)
            .where(VideoTagRow.tag == tag, VideoTagRow.video_id != video_id)
            .group_by(VideoTagRow.video_id)
            .order_by(watchers.desc(), VideoTagRow.video_id)
            .limit(limit)
        )
        out += [(r.video_id, Why(ReasonKind.POPULAR_IN_TAG, tag)) for r in rows]
    return out


async def user_tags(*, sessions: Sessions, user_id: uuid.UUID) -> list[TagOut]:
    """The user's taste tags, heaviest first, then muted ones (so they can be unmuted)."""
    async with sessions() as session:
        rows = list(await session.scalars(select(UserTagRow).where(UserTagRow.user_id == user_id)))
    rows.sort(key=lambda r: (r.muted, -r.weight, r.tag))
    return [TagOut(tag=r.tag, weight=r.weight, muted=r.muted, added=r.added) for r in rows]
