"""The live feature's dependencies, taken from the settings and ports the composition root
built: what routes, the SRT listeners and the sweeper hand to the use cases."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.media.probe import ProbeLimits
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.live.failures import FeedFailed
from clipcast.live.hub import LiveHub, until
from clipcast.live.ingest import IngestConfig, run_feed
from clipcast.live.models import FeedState, LiveStream
from clipcast.live.publish import PublishDeps
from clipcast.live.srt import SrtEndpoint, SrtListeners, port_range
from clipcast.settings import Settings

log = logging.getLogger(__name__)
TAKE_OVER_GRACE = 3.0  # seconds a replaced feed gets to publish its last clip

# A live picture is smaller than an upload may be: what a camera or an encoder sends live.
LIVE_MAX_SIDE = 3840


def ingest_config(settings: Settings) -> IngestConfig:
    return IngestConfig(
        clip_seconds=settings.clip_seconds,
        ladder=list(settings.live_ladder),
        max_resolution=settings.live_max_resolution,
        preset=settings.live_x264_preset,
        idle_seconds=settings.live_idle_seconds,
        probe_limits=ProbeLimits(
            max_bytes=settings.max_upload_bytes,
            max_width=min(settings.max_width, LIVE_MAX_SIDE),
            max_height=min(settings.max_height, LIVE_MAX_SIDE),
            max_pixels=min(settings.max_pixels, LIVE_MAX_SIDE * 2160),
            max_duration_seconds=settings.max_duration_seconds,
            # Browsers timestamp WebM frames in milliseconds, which reads as 1000 fps: the
            # rate is no cap on a live feed (the encoder keeps its timestamps, not a rate).
            max_fps=1000.0,
            max_streams=settings.max_streams,
        ),
        probe_timeout=min(settings.probe_timeout_seconds, 10.0),
        work_dir=settings.work_dir,
    )


def publish_deps(
    *, sessions: Any, storage: ObjectStorage, hub: LiveHub, clip_seconds: int
) -> PublishDeps:
    return PublishDeps(
        sessions=sessions,
        storage=storage,
        chat=hub.chat,
        tally=hub.tally,
        clip_seconds=clip_seconds,
    )


def hub_of(state: Any) -> LiveHub:
    """The process's hub, kept on the app's state (made on first use)."""
    hub: LiveHub | None = getattr(state, "live", None)
    if hub is None:
        hub = LiveHub()
        state.live = hub
    return hub


def start_srt(
    *,
    hub: LiveHub,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    storage: ObjectStorage,
    video_id: uuid.UUID,
) -> SrtEndpoint:
    """The stream's SRT listener in this process, opened if it was not; raises NoSrt."""
    if hub.srt is None:
        hub.srt = SrtListeners(settings.live_srt_host, port_range(settings.live_srt_ports))
    deps = publish_deps(
        sessions=sessions, storage=storage, hub=hub, clip_seconds=settings.clip_seconds
    )
    config = ingest_config(settings)

    async def feed(chunks: AsyncIterator[bytes]) -> None:
        stop = await hub.take_over(video_id, TAKE_OVER_GRACE)
        try:
            await run_feed(
                deps=deps,
                config=config,
                video_id=video_id,
                source=until(chunks, stop),
                notify=_log_message,
            )
        except FeedFailed as failed:
            log.info("SRT feed into %s stopped: %s: %s", video_id, failed.code, failed.message)
        finally:
            hub.release(video_id)

    async def still_live() -> bool:
        async with sessions() as session:
            stream = await session.get(LiveStream, video_id)
        return stream is not None and stream.feed_state != FeedState.ENDED

    return hub.srt.open(video_id, feed, still_live)


async def _log_message(message: dict[str, Any]) -> None:
    # An SRT encoder has no channel for our messages: they go to the log.
    log.debug("SRT feed: %s", message)
