"""Queries of the thumbnailer: what a video has published, and its thumbnail mapping."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

# Every table registered, not only the ones named here: flushing a Video resolves its foreign
# key to users, and a thumbnails-only worker process may import nothing else that loads it.
import clipcast.db.models  # noqa: F401
from clipcast.thumbnails.mapping import ThumbnailMap, load
from clipcast.thumbnails.plan import ClipRef, RenditionRef
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Clip, Rendition, Video


@dataclass(frozen=True)
class Published:
    """A ready video's renditions, with a fingerprint that changes when they are re-encoded."""

    duration: float
    renditions: list[RenditionRef]
    published: dict[int, str]  # resolution -> when it was published (ISO 8601)
    mapping: ThumbnailMap

    def fingerprint(self, *resolutions: int) -> str:
        return "/".join(f"{r}@{self.published[r]}" for r in resolutions)


async def published(session: AsyncSession, video_id: uuid.UUID) -> Published | None:
    """None when the video is gone or not ready (nothing to make thumbnails from)."""
    video = await session.get(Video, video_id)
    if video is None or video.state != VideoState.READY:
        return None
    rows = list(await session.scalars(select(Rendition).where(Rendition.video_id == video_id)))
    return Published(
        duration=float(video.duration or 0.0),
        renditions=[RenditionRef(r.resolution, r.width, r.height, r.init_key) for r in rows],
        published={r.resolution: r.published_at.isoformat() for r in rows},
        mapping=load(video.thumbnails),
    )


async def clips_of(session: AsyncSession, video_id: uuid.UUID, resolution: int) -> list[ClipRef]:
    rows = await session.execute(
        select(Clip.index, Clip.offset, Clip.duration, Clip.uri)
        .where(Clip.video_id == video_id, Clip.resolution == resolution)
        .order_by(Clip.index)
    )
    return [ClipRef(index=i, offset=o, duration=d, key=k) for i, o, d, k in rows]


async def video_exists(session: AsyncSession, video_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Video.id).where(Video.id == video_id))
    return found is not None


async def owned_video(
    session: AsyncSession, video_id: uuid.UUID, user_id: uuid.UUID
) -> Video | None:
    video = await session.get(Video, video_id)
    return video if video is not None and video.owner_id == user_id else None


async def locked_video(session: AsyncSession, video_id: uuid.UUID) -> Video | None:
    """The row, locked until commit (PostgreSQL), so mapping writers take turns."""
    return await session.get(Video, video_id, with_for_update=True)


def store_mapping(video: Video, mapping: ThumbnailMap) -> None:
    # A new dict, never an in-place change: SQLAlchemy only notices a JSON column reassigned.
    video.thumbnails = mapping.to_json()
