"""The transcode use case: probe the source, encode the lowest rung, publish, encode the rest."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from clipcast.adapters.media.ffmpeg import FfmpegFailed, FfmpegStalled
from clipcast.adapters.media.probe import MediaRejected, ProbeLimits, ProbeResult, probe_file
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.outbox.repository import add_event
from clipcast.settings import Settings
from clipcast.transcoding.encoder import encode
from clipcast.transcoding.ladder import Rung, build_ladder
from clipcast.transcoding.progress import ProgressPlan
from clipcast.transcoding.publish import published_resolutions, record_rendition, upload_objects
from clipcast.videos.chain import source_key
from clipcast.videos.lifecycle import VideoState, check_transition
from clipcast.videos.models import Video

log = logging.getLogger(__name__)


class VideoGone(Exception):
    """The video was deleted while it was processing."""


@dataclass
class Outcome:
    state: VideoState
    reason: str | None = None


def probe_limits(settings: Settings) -> ProbeLimits:
    return ProbeLimits(
        max_bytes=settings.max_upload_bytes,
        max_width=settings.max_width,
        max_height=settings.max_height,
        max_pixels=settings.max_pixels,
        max_duration_seconds=settings.max_duration_seconds,
        max_fps=settings.max_fps,
        max_streams=settings.max_streams,
    )


async def transcode_video(adapters: Adapters, video_id: uuid.UUID, work_dir: Path) -> Outcome:
    """Run the whole pipeline for one video; returns its final state (never leaves it stuck)."""
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id)
    if video is None:
        return Outcome(VideoState.FAILED, "deleted")
    if video.state in (VideoState.READY, VideoState.FAILED):
        return Outcome(VideoState(video.state), video.failure_reason)
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    try:
        return await _pipeline(adapters, video_id, work_dir)
    except MediaRejected as exc:
        return await fail_video(adapters, video_id, exc.reason)
    except FfmpegStalled:
        stall = adapters.settings.ffmpeg_stall_seconds
        reason = f"Processing stalled: ffmpeg made no progress for {stall:.0f} s."
        return await fail_video(adapters, video_id, reason)
    except FfmpegFailed as exc:
        return await fail_video(
            adapters, video_id, f"The video could not be converted: {exc.summary}"
        )
    except VideoGone:
        await adapters.storage.delete_prefix(f"videos/{video_id}/")
        return Outcome(VideoState.FAILED, "deleted")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


async def _pipeline(adapters: Adapters, video_id: uuid.UUID, work_dir: Path) -> Outcome:
    settings = adapters.settings
    source = work_dir / "source"
    await adapters.storage.download_file(source_key(video_id), source)
    probe = await probe_file(source, probe_limits(settings), timeout=settings.probe_timeout_seconds)
    await _record_probe(adapters, video_id, probe)
    rungs = build_ladder(
        width=probe.width,
        height=probe.height,
        has_video=probe.has_video,
        has_audio=probe.has_audio,
        ladder=settings.ladder,
        fps=probe.fps or 30.0,
    )
    done = await published_resolutions(adapters.sessions, video_id)
    batches = [b for b in ([rungs[0]], rungs[1:]) if b]
    plan = ProgressPlan.for_batches([[r.width * r.height or 1 for r in b] for b in batches])
    for number, batch in enumerate(batches):
        todo = [r for r in batch if r.resolution not in done]
        if todo:
            await _encode_and_publish(
                adapters, video_id, source, probe, todo, work_dir, plan, number
            )
        await _set_progress(adapters, video_id, plan.after(number))
    return await _mark_ready(adapters, video_id)


async def _encode_and_publish(
    adapters: Adapters,
    video_id: uuid.UUID,
    source: Path,
    probe: ProbeResult,
    rungs: list[Rung],
    work_dir: Path,
    plan: ProgressPlan,
    batch: int,
) -> None:
    settings = adapters.settings
    out_dir = work_dir / f"batch{batch}"
    encoded = await encode(
        source,
        probe,
        rungs,
        out_dir,
        preset=settings.x264_preset,
        stall_seconds=settings.ffmpeg_stall_seconds,
        clip_seconds=settings.clip_seconds,
        on_progress=_progress_writer(adapters, video_id, lambda f: plan.during(batch, f)),
    )
    for enc in encoded:
        await upload_objects(adapters.storage, video_id, enc, settings.clip_seconds)
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            raise VideoGone(str(video_id))
        for enc in encoded:
            await record_rendition(session, adapters.storage, video_id, enc, utcnow())
        video.playable = True
        video.updated_at = utcnow()
        await session.commit()
    shutil.rmtree(out_dir, ignore_errors=True)


def _progress_writer(
    adapters: Adapters, video_id: uuid.UUID, to_percent: Callable[[float], int]
) -> Callable[[float], Awaitable[None]]:
    last = {"at": 0.0, "value": -1}

    async def write(fraction: float) -> None:
        value = to_percent(fraction)
        # At most one write a second: progress is for people, not worth a busy database.
        if value == last["value"] or time.monotonic() - last["at"] < 1.0:
            return
        last["at"], last["value"] = time.monotonic(), value
        await _set_progress(adapters, video_id, value)

    return write


async def _set_progress(adapters: Adapters, video_id: uuid.UUID, value: int) -> None:
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id)
        if video is None:
            raise VideoGone(str(video_id))
        if video.state == VideoState.PROCESSING and value > video.progress:
            video.progress = min(value, 99)
            await session.commit()


async def _record_probe(adapters: Adapters, video_id: uuid.UUID, probe: ProbeResult) -> None:
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id)
        if video is None:
            raise VideoGone(str(video_id))
        video.duration = probe.duration
        video.width = probe.width or None
        video.height = probe.height or None
        video.has_audio = probe.has_audio
        video.has_video = probe.has_video
        await session.commit()


async def _mark_ready(adapters: Adapters, video_id: uuid.UUID) -> Outcome:
    """`ready` and the `video.ready` event commit together, or neither does."""
    now = utcnow()
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            raise VideoGone(str(video_id))
        check_transition(VideoState(video.state), VideoState.READY)
        video.state = VideoState.READY
        video.progress = 100
        video.playable = True
        video.updated_at = now
        add_event(session, "video.ready", {"video_id": str(video_id)}, now)
        await session.commit()
    return Outcome(VideoState.READY)


async def fail_video(adapters: Adapters, video_id: uuid.UUID, reason: str) -> Outcome:
    """`failed` with a reason a person can read; nothing of the video stays published."""
    log.info("video %s failed: %s", video_id, reason)
    now = utcnow()
    async with adapters.sessions() as session:
        video = await session.get(Video, video_id, with_for_update=True)
        if video is None:
            return Outcome(VideoState.FAILED, "deleted")
        check_transition(VideoState(video.state), VideoState.FAILED)
        video.state = VideoState.FAILED
        video.failure_reason = reason
        video.playable = False
        video.updated_at = now
        add_event(session, "video.failed", {"video_id": str(video_id), "reason": reason}, now)
        await session.commit()
    await adapters.storage.delete_prefix(f"videos/{video_id}/")
    return Outcome(VideoState.FAILED, reason)
