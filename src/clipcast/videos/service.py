"""Use cases of videos: read with access rules, list, edit, delete, walk the clip chain."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.cdn.signing import sign_playback
from clipcast.core.errors import InvalidInput, NotFound
from clipcast.outbox.repository import add_event
from clipcast.thumbnails.schemas import ThumbnailsOut
from clipcast.thumbnails.urls import thumbnail_urls
from clipcast.videos import audience
from clipcast.videos import repository as repo
from clipcast.videos.access import visible_video
from clipcast.videos.chain import object_prefix, source_key
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Rendition, Video
from clipcast.videos.schemas import (
    ClipChainOut,
    ClipOut,
    NextClipOut,
    OwnerOut,
    PlaybackOut,
    RenditionOut,
    VideoOut,
    VideoPage,
    VideoPatch,
)
from clipcast.videos.tags import normalise_tags
from clipcast.videos.urls import clip_url, init_url, master_url, media_root

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Viewer:
    """Who is asking, and what the answer's URLs need."""

    user_id: uuid.UUID | None
    base_url: str
    secret: bytes
    token_ttl: int
    now: datetime


def _media_root(video: Video, viewer: Viewer) -> tuple[str, datetime | None]:
    return media_root_for(
        Visibility(video.visibility),
        video.id,
        key_version=video.key_version,
        base_url=viewer.base_url,
        secret=viewer.secret,
        token_ttl=viewer.token_ttl,
        now=viewer.now,
    )


def media_root_for(
    visibility: Visibility,
    video_id: uuid.UUID,
    *,
    base_url: str,
    secret: bytes,
    token_ttl: int,
    now: datetime,
    key_version: int = 0,
) -> tuple[str, datetime | None]:
    """The root of a video's media URLs and when it expires: plain for a public video,
    signed for `token_ttl` seconds from `now` at the video's `key_version` for any other
    (also used by search results)."""
    if visibility == Visibility.PUBLIC:
        return media_root(base_url, video_id, None), None
    token = sign_playback(secret, video_id, now, token_ttl, key_version)
    return media_root(base_url, video_id, token), now + timedelta(seconds=token_ttl)


def _to_out(
    video: Video,
    owner: str,
    renditions: list[Rendition],
    viewer: Viewer,
    groups: list[uuid.UUID] | None = None,
) -> VideoOut:
    hls, expires = None, None
    if video.playable and renditions:
        root, expires = _media_root(video, viewer)
        hls = master_url(root)
    return VideoOut(
        id=video.id,
        owner=OwnerOut(id=video.owner_id, username=owner),
        title=video.title,
        description=video.description,
        created_at=video.created_at,
        updated_at=video.updated_at,
        duration=video.duration,
        state=VideoState(video.state),
        progress=video.progress,
        playable=video.playable,
        visibility=Visibility(video.visibility),
        # Which groups it is shared with is the owner's business, not the members'.
        groups=sorted(groups or []) if video.owner_id == viewer.user_id else [],
        failure_reason=video.failure_reason,
        width=video.width,
        height=video.height,
        tags=list(video.tags or []),
        renditions=[
            RenditionOut(
                resolution=r.resolution, width=r.width, height=r.height, bandwidth=r.bandwidth
            )
            for r in sorted(renditions, key=lambda r: r.resolution, reverse=True)
        ],
        thumbnails=_thumbnails(video, viewer),
        playback=PlaybackOut(hls=hls, expires_at=expires),
    )


def _thumbnails(video: Video, viewer: Viewer) -> ThumbnailsOut:
    """Thumbnail URLs under the same root, signed or not, as the video's playback URLs."""
    if not video.thumbnails:
        return ThumbnailsOut()
    return thumbnail_urls(video.thumbnails, _media_root(video, viewer)[0], video.id)


async def _outs(session: AsyncSession, videos: list[Video], viewer: Viewer) -> list[VideoOut]:
    names = await repo.owners(session, {v.owner_id for v in videos})
    rends = await repo.renditions_of(session, [v.id for v in videos])
    by_video: dict[uuid.UUID, list[Rendition]] = {}
    for r in rends:
        by_video.setdefault(r.video_id, []).append(r)
    shared = [v.id for v in videos if v.visibility == Visibility.GROUP]
    groups = await audience.groups_of(session, shared)
    return [
        _to_out(v, names.get(v.owner_id, ""), by_video.get(v.id, []), viewer, groups.get(v.id))
        for v in videos
    ]


async def get_video(
    *, sessions: async_sessionmaker[AsyncSession], video_id: uuid.UUID, viewer: Viewer
) -> VideoOut:
    async with sessions() as session:
        video = await visible_video(session, video_id, viewer.user_id)
        return (await _outs(session, [video], viewer))[0]


def _check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput("page starts at 1; per_page is 1–100.", code="bad_page")


async def list_videos(
    *,
    sessions: async_sessionmaker[AsyncSession],
    viewer: Viewer,
    mine: bool,
    page: int,
    per_page: int,
) -> VideoPage:
    """Public ready videos for everyone (and group videos for their groups' members), or all
    of the viewer's own (`mine`)."""
    _check_page(page, per_page)
    async with sessions() as session:
        videos, total = await repo.page_of_videos(
            session,
            owner_id=viewer.user_id if mine else None,
            viewer_id=viewer.user_id,
            page=page,
            per_page=per_page,
        )
        items = await _outs(session, videos, viewer)
    return VideoPage(items=items, total=total, page=page, per_page=per_page)


async def _owned(session: AsyncSession, video_id: uuid.UUID, user_id: uuid.UUID) -> Video:
    video = await session.get(Video, video_id)
    if video is None or video.owner_id != user_id:
        # Someone else's video answers like a missing one: its existence is not theirs to learn.
        raise NotFound("No such video.", code="video_not_found")
    return video


async def update_video(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    patch: VideoPatch,
    viewer: Viewer,
) -> VideoOut:
    assert viewer.user_id is not None
    async with sessions() as session:
        video = await _owned(session, video_id, viewer.user_id)
        changed = patch.model_dump(exclude_none=True)
        if "tags" in changed:
            changed["tags"] = normalise_tags(changed["tags"])
        await _change_audience(session, video, changed)
        for field, value in changed.items():
            setattr(video, field, value.strip() if isinstance(value, str) else value)
        if changed:
            video.updated_at = viewer.now
            add_event(
                session,
                "video.updated",
                {"video_id": str(video.id), "fields": sorted(changed)},
                viewer.now,
            )
        await session.commit()
        return (await _outs(session, [video], viewer))[0]


async def _change_audience(session: AsyncSession, video: Video, changed: dict[str, Any]) -> None:
    """Visibility and groups are set together by `audience` (which may revoke tokens); they
    leave `changed` for the event's field list only if they changed anything."""
    visibility = changed.pop("visibility", None)
    groups = changed.pop("groups", None)
    if visibility is None and groups is None:
        return
    target = Visibility(visibility or video.visibility)
    group_ids = list(groups) if isinstance(groups, list) else None
    if await audience.set_audience(session, video, target, group_ids):
        changed["visibility"] = video.visibility  # announced as changed; already set


async def delete_video(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
) -> None:
    """Remove the rows (clips and renditions cascade), then every object of the video."""
    async with sessions() as session:
        video = await _owned(session, video_id, user_id)
        await session.delete(video)
        add_event(session, "video.deleted", {"video_id": str(video_id)}, now)
        await session.commit()
    # After the commit the CDN route already answers 404; objects go next. A crash here
    # leaves orphans under a prefix no row points to, never a row pointing at nothing.
    await storage.delete_prefix(object_prefix(video_id))
    await storage.delete_prefix(source_key(video_id).rsplit("/", 1)[0] + "/")


async def clip_chain(
    *,
    sessions: async_sessionmaker[AsyncSession],
    video_id: uuid.UUID,
    resolution: int,
    start: int,
    limit: int,
    viewer: Viewer,
) -> ClipChainOut:
    """A window of one rendition's clips, each with its URL and the next clips' ids and URLs."""
    if start < 0 or not 1 <= limit <= 100:
        raise InvalidInput("start is ≥ 0 and limit is 1–100.", code="bad_range")
    async with sessions() as session:
        video = await visible_video(session, video_id, viewer.user_id)
        clips, total = await repo.clips_page(session, video_id, resolution, start, limit)
    if total == 0:
        raise NotFound(f"No clips at resolution {resolution}.", code="rendition_not_found")
    root, _ = _media_root(video, viewer)
    out = [
        ClipOut(
            id=c.id,
            index=c.index,
            resolution=c.resolution,
            offset=c.offset,
            duration=c.duration,
            byte_size=c.byte_size,
            url=clip_url(root, resolution, c.index),
            next=[
                NextClipOut(
                    id=uuid.UUID(n), index=c.index + k, url=clip_url(root, resolution, c.index + k)
                )
                for k, n in enumerate(c.next_ids, start=1)
            ],
        )
        for c in clips
    ]
    last = clips[-1].index if clips else start - 1
    return ClipChainOut(
        video_id=video_id,
        resolution=resolution,
        init_url=init_url(root, resolution),
        total_clips=total,
        clips=out,
        next_start=last + 1 if last + 1 < total else None,
    )
