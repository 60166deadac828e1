"""The transcode use case: probe the source, make it playable early, then make the rest.

A short source is encoded in one ffmpeg run that makes every rung, decoding the source once;
the lowest rung and the audio are published as their clips come out, so the video plays
early (early.py). A long one is cut into chunks that child jobs encode on any worker
(fanout.py), in two batches: the lowest rung with the audio first, then every other rung.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clipcast.adapters.media.ffmpeg import FfmpegFailed, FfmpegStalled
from clipcast.adapters.media.probe import MediaRejected, ProbeLimits, ProbeResult, probe_file
from clipcast.core.clock import utcnow
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.settings import Settings
from clipcast.transcoding.argv import output_fps
from clipcast.transcoding.chunking import Chunk, plan_chunks
from clipcast.transcoding.deps import TranscodeDeps
from clipcast.transcoding.early import EarlyPublisher
from clipcast.transcoding.encoder import EncodedRendition, encode
from clipcast.transcoding.fanout import children_of_batch, encode_in_chunks
from clipcast.transcoding.ladder import Rung, build_ladder
from clipcast.transcoding.progress import ProgressPlan
from clipcast.transcoding.publish import publish_renditions, upload_objects
from clipcast.transcoding.tasks import Batch
from clipcast.videos import transitions
from clipcast.videos.chain import object_prefix, source_key
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.publishing import published_resolutions
from clipcast.videos.transitions import VideoGone

log = logging.getLogger(__name__)

__all__ = ["Outcome", "VideoGone", "fail_video", "probe_limits", "transcode_video"]


@dataclass
class Outcome:
    state: VideoState
    reason: str | None = None


@dataclass(frozen=True)
class _Run:
    """One run of the parent job: who runs it, on what, and how progress is shared out."""

    deps: TranscodeDeps
    job: Job
    worker: str
    work_dir: Path
    source: Path
    probe: ProbeResult
    chunks: list[Chunk]  # of the source, as the settings cut it; empty: not long enough
    plan: ProgressPlan

    @property
    def video_id(self) -> uuid.UUID:
        return self.job.video_id


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


async def transcode_video(deps: TranscodeDeps, job: Job, worker: str, work_dir: Path) -> Outcome:
    """Run the whole pipeline for the job's video; returns its final state (never stuck)."""
    video_id = job.video_id
    found = await transitions.state_of(deps.sessions, video_id)
    if found is None:
        return Outcome(VideoState.FAILED, "deleted")
    state, failure_reason = found
    if state in (VideoState.READY, VideoState.FAILED):
        return Outcome(state, failure_reason)
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    try:
        return await _pipeline(deps, job, worker, work_dir)
    except MediaRejected as exc:
        return await _give_up(deps, job, exc.reason)
    except FfmpegStalled:
        stall = deps.settings.ffmpeg_stall_seconds
        reason = f"Processing stalled: ffmpeg made no progress for {stall:.0f} s."
        return await _give_up(deps, job, reason)
    except FfmpegFailed as exc:
        return await _give_up(deps, job, f"The video could not be converted: {exc.summary}")
    except VideoGone:
        await queue.drop_children(deps.sessions, job.id, "the video was deleted")
        await deps.storage.delete_prefix(object_prefix(video_id))
        return Outcome(VideoState.FAILED, "deleted")
    finally:
        await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)


async def _give_up(deps: TranscodeDeps, job: Job, reason: str) -> Outcome:
    await queue.drop_children(deps.sessions, job.id, "the video failed")
    return await fail_video(deps, job.video_id, reason)


async def _pipeline(deps: TranscodeDeps, job: Job, worker: str, work_dir: Path) -> Outcome:
    settings = deps.settings
    source = work_dir / "source"
    await deps.storage.download_file(source_key(job.video_id), source)
    probe = await probe_file(source, probe_limits(settings), timeout=settings.probe_timeout_seconds)
    await _record_probe(deps, job.video_id, probe)
    ladder = build_ladder(
        width=probe.width,
        height=probe.height,
        has_video=probe.has_video,
        has_audio=probe.has_audio,
        ladder=settings.ladder,
        fps=probe.fps or 30.0,
    )
    done = await published_resolutions(deps.sessions, job.video_id)
    chunks = plan_chunks(
        probe.duration,
        clip_seconds=settings.clip_seconds,
        chunk_seconds=settings.chunk_seconds,
        container=probe.container,
    )
    # Long sources with pictures go in chunks, and so does a job whose earlier run started
    # that way (its children are in the queue).
    if (chunks and probe.has_video) or await queue.children(deps.sessions, job.id):
        batches = [b for b in (ladder.first, ladder.rest) if b]
        plan = ProgressPlan.for_batches([[r.width * r.height or 1 for r in b] for b in batches])
        run = _Run(deps, job, worker, work_dir, source, probe, chunks, plan)
        for number, batch in enumerate(batches):
            todo = [r for r in batch if r.resolution not in done]
            if todo:
                await _make_batch(run, number, todo)
            await _set_progress(deps, job.video_id, plan.after(number))
    else:
        rungs = ladder.all
        plan = ProgressPlan.for_batches([[r.width * r.height or 1 for r in rungs]])
        run = _Run(deps, job, worker, work_dir, source, probe, chunks, plan)
        if any(r.resolution not in done for r in rungs):
            progress = _progress_writer(deps, job.video_id, lambda f: plan.during(0, f))
            await _encode_and_publish(run, 0, rungs, progress, early=ladder.first)
        await _set_progress(deps, job.video_id, plan.after(0))
    return await _mark_ready(deps, job.video_id)


async def _make_batch(run: _Run, number: int, rungs: list[Rung]) -> None:
    """Chunked when the source is long (or a previous run of this job started it chunked),
    else, or when the chunks fail to join, in one ffmpeg run here."""
    chunks = run.chunks
    started = bool(await children_of_batch(run.deps, run.job.id, number))
    pictures = any(r.has_video for r in rungs)  # chunks cut pictures; audio is always whole
    progress = _progress_writer(run.deps, run.video_id, lambda f: run.plan.during(number, f))
    if ((chunks and pictures) or started) and await encode_in_chunks(
        run.deps,
        run.job,
        Batch(number, rungs, chunks, run.probe),
        worker=run.worker,
        source=run.source,
        on_progress=progress,
    ):
        return
    await _encode_and_publish(run, number, rungs, progress)


async def _encode_and_publish(
    run: _Run,
    number: int,
    rungs: list[Rung],
    progress: Callable[[float], Awaitable[None]],
    *,
    early: Sequence[Rung] = (),
) -> None:
    """`rungs` in one ffmpeg run, published when it ends; `early` ones also while it runs."""
    deps, settings = run.deps, run.deps.settings
    out_dir = run.work_dir / f"batch{number}"

    async def make_alone() -> list[EncodedRendition]:
        return await encode(
            run.source,
            run.probe,
            list(early),
            run.work_dir / f"batch{number}-first",
            preset=settings.x264_preset,
            stall_seconds=settings.ffmpeg_stall_seconds,
            clip_seconds=settings.clip_seconds,
        )

    publisher = EarlyPublisher(
        deps,
        run.video_id,
        early,
        out_dir,
        duration=run.probe.duration,
        frame_rate=float(output_fps(run.probe.fps)),
        make_alone=make_alone if early and len(early) < len(rungs) else None,
    )

    async def on_progress(fraction: float) -> None:
        await progress(fraction)
        await publisher.on_progress(fraction)

    encoded = await encode(
        run.source,
        run.probe,
        rungs,
        out_dir,
        preset=settings.x264_preset,
        stall_seconds=settings.ffmpeg_stall_seconds,
        clip_seconds=settings.clip_seconds,
        on_progress=on_progress,
        on_start=publisher.on_start,
    )
    # Rungs made alone while the run was paused are published whole already.
    encoded = [enc for enc in encoded if enc.rung.resolution not in publisher.made_alone]
    for enc in encoded:
        stored = publisher.stored(enc.rung.resolution)
        await upload_objects(deps.storage, run.video_id, enc, settings.clip_seconds, stored=stored)
    summaries = [enc.summary for enc in encoded]
    await publish_renditions(deps.sessions, deps.storage, run.video_id, summaries, utcnow())
    await asyncio.to_thread(shutil.rmtree, out_dir, ignore_errors=True)


def _progress_writer(
    deps: TranscodeDeps, video_id: uuid.UUID, to_percent: Callable[[float], int]
) -> Callable[[float], Awaitable[None]]:
    last = {"at": 0.0, "value": -1}

    async def write(fraction: float) -> None:
        value = to_percent(fraction)
        # At most one write a second: progress is for people, not worth a busy database.
        if value == last["value"] or time.monotonic() - last["at"] < 1.0:
            return
        last["at"], last["value"] = time.monotonic(), value
        await _set_progress(deps, video_id, value)

    return write


async def _set_progress(deps: TranscodeDeps, video_id: uuid.UUID, value: int) -> None:
    await transitions.set_progress(deps.sessions, video_id, value)


async def _record_probe(deps: TranscodeDeps, video_id: uuid.UUID, probe: ProbeResult) -> None:
    facts = transitions.SourceFacts(
        duration=probe.duration,
        width=probe.width,
        height=probe.height,
        has_audio=probe.has_audio,
        has_video=probe.has_video,
    )
    await transitions.record_source(deps.sessions, video_id, facts)


async def _mark_ready(deps: TranscodeDeps, video_id: uuid.UUID) -> Outcome:
    await transitions.mark_ready(deps.sessions, video_id, utcnow())
    return Outcome(VideoState.READY)


async def fail_video(deps: TranscodeDeps, video_id: uuid.UUID, reason: str) -> Outcome:
    """`failed` with a reason a person can read; nothing of the video stays published."""
    log.info("video %s failed: %s", video_id, reason)
    standing = await transitions.mark_failed(deps.sessions, video_id, reason, utcnow())
    if standing is None:
        return Outcome(VideoState.FAILED, "deleted")
    if standing == reason:
        await deps.storage.delete_prefix(object_prefix(video_id))
    return Outcome(VideoState.FAILED, standing)
