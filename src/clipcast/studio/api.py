"""Routes of the studio: a video's analytics, for its owner only (others get a 404)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from clipcast.core.clock import utcnow
from clipcast.studio import analytics
from clipcast.studio.schemas import AnalyticsOut, RetentionOut, ViewsOverTimeOut, ViewsPointOut
from clipcast.studio.series import Bucket
from clipcast.web.deps import AdaptersDep, OptionalUser

router = APIRouter(tags=["studio"])


@router.get("/api/v1/videos/{video_id}/analytics")
async def video_analytics(
    video_id: uuid.UUID,
    adapters: AdaptersDep,
    user: OptionalUser,
    bucket: Bucket = Bucket.DAY,
    span: int | None = Query(
        None, ge=1, description="Buckets, the last one now's (hour ≤ 336, day ≤ 366)."
    ),
) -> AnalyticsOut:
    """Views over time, likes, dislikes, watch time and the retention curve per clip."""
    found = await analytics.video_analytics(
        sessions=adapters.sessions,
        counters=adapters.counters,
        video_id=video_id,
        user_id=user.id if user else None,
        bucket=bucket,
        span=span,
        clip_seconds=adapters.settings.clip_seconds,
        now=utcnow(),
    )
    counts = found.counts
    return AnalyticsOut(
        video_id=found.video_id,
        title=found.title,
        duration=found.duration,
        created_at=found.created_at,
        views=counts.views,
        likes=counts.likes,
        dislikes=counts.dislikes,
        watch_seconds=counts.watch_ms / 1000,
        views_over_time=ViewsOverTimeOut(
            bucket=found.window.bucket,
            points=[ViewsPointOut(start=p.start, views=p.views) for p in found.views_over_time],
        ),
        retention=RetentionOut(clip_seconds=found.clip_seconds, viewers=found.retention),
    )
