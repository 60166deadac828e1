"""The live feature's dependencies, taken from the settings and ports the composition root
built: what routes, the RTMP listener and the sweeper hand to the use cases."""

from __future__ import annotations

from typing import Any

from clipcast.adapters.media.probe import ProbeLimits
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.live.hub import LiveHub
from clipcast.live.ingest import IngestConfig
from clipcast.live.publish import PublishDeps
from clipcast.settings import Settings

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
