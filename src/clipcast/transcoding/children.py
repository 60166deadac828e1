"""Running one child job: encode its part of a video and store the clips at their final keys."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from clipcast.adapters.media.ffmpeg import FfmpegError
from clipcast.adapters.storage.base import ObjectMissing
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.jobs.running import run_leased
from clipcast.transcoding.chunking import PartClip
from clipcast.transcoding.codecs import CodecsError
from clipcast.transcoding.deps import TranscodeDeps
from clipcast.transcoding.encoder import EncodedRendition, encode
from clipcast.transcoding.keys import part_init_key
from clipcast.transcoding.publish import INIT_TYPE, upload_clips
from clipcast.transcoding.segments import PlaylistError
from clipcast.transcoding.tasks import EncodedPart, EncodeTask, result_of
from clipcast.videos.chain import object_prefix, source_key
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.transitions import state_of

log = logging.getLogger(__name__)

# What a part's encode can fail with that another attempt would fail with too. The parent
# then encodes the batch in one piece, which fails the video with a reason if it must.
_PART_FAILURES = (FfmpegError, PlaylistError, CodecsError, ObjectMissing)


class _Abandoned(Exception):
    """The video is no longer processing (deleted, failed or ready): nothing to make."""


async def run_child_job(
    deps: TranscodeDeps, job: Job, worker: str, *, source: Path | None = None
) -> None:
    """Run a leased child job to its end and record what it made on the job row.

    `source` is a local copy of the upload when the parent runs the job itself; any other
    worker fetches its own. An unexpected error (storage or database away) leaves the job
    leased: it is taken again when the lease runs out.
    """

    async def attempt() -> str | None:
        error, result = await _attempt(deps, job, source)
        await _finish(deps, job.id, error, result)
        return error

    await run_leased(
        attempt,
        sessions=deps.sessions,
        job=job,
        worker=worker,
        lease_seconds=deps.settings.job_lease_seconds,
        job_seconds=deps.job_seconds,
    )


async def _attempt(
    deps: TranscodeDeps, job: Job, source: Path | None
) -> tuple[str | None, dict[str, Any] | None]:
    if job.attempts > queue.MAX_ATTEMPTS:
        return "Encoding this part failed repeatedly; giving up.", None
    try:
        return None, await encode_part(deps, job, source)
    except _PART_FAILURES as exc:
        log.warning("%s job %s for video %s failed: %s", job.kind, job.id, job.video_id, exc)
        return str(getattr(exc, "summary", exc))[:500], None
    except _Abandoned as exc:
        return str(exc), None


async def encode_part(deps: TranscodeDeps, job: Job, source: Path | None) -> dict[str, Any]:
    """Encode the job's task, store its clips and init segments; returns the job's result."""
    if job.payload is None:
        raise ValueError(f"job {job.id} has no task")
    task = EncodeTask.from_payload(job.payload)
    await _check_processing(deps, job.video_id)
    work_dir = deps.settings.work_dir / str(job.id)
    try:
        if source is None:
            source = work_dir / "source"
            await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
            await deps.storage.download_file(source_key(job.video_id), source)
        encoded = await encode(
            source,
            task.probe,
            task.rungs,
            work_dir / "out",
            preset=task.preset,
            crf=task.crf,
            stall_seconds=deps.settings.ffmpeg_stall_seconds,
            clip_seconds=task.clip_seconds,
            chunk=task.chunk,
        )
        parts = [await _store(deps, job.video_id, task, enc) for enc in encoded]
    finally:
        await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)
    await _check_still_processing(deps, job.video_id)
    return result_of(parts)


async def _store(
    deps: TranscodeDeps, video_id: uuid.UUID, task: EncodeTask, enc: EncodedRendition
) -> EncodedPart:
    """Clips straight to their final keys (a re-run writes the same keys), the init segment to
    a key of this part's own: the parent publishes one after checking they all agree."""
    res = enc.rung.resolution
    await upload_clips(deps.storage, video_id, res, [(c.index, c.path) for c in enc.clips])
    key = part_init_key(video_id, res, task.part)
    await deps.storage.put_file(key, enc.init_path, INIT_TYPE)
    clips = tuple(PartClip(c.index, c.duration, c.byte_size) for c in enc.clips)
    return EncodedPart(res, enc.codecs, enc.frame_rate, key, clips)


async def _state(deps: TranscodeDeps, video_id: uuid.UUID) -> VideoState | None:
    found = await state_of(deps.sessions, video_id)
    return None if found is None else found[0]


async def _check_processing(deps: TranscodeDeps, video_id: uuid.UUID) -> None:
    state = await _state(deps, video_id)
    if state != VideoState.PROCESSING:
        raise _Abandoned(f"the video is {state or 'deleted'}")


async def _check_still_processing(deps: TranscodeDeps, video_id: uuid.UUID) -> None:
    """A video failed or deleted while we encoded keeps none of what we just stored."""
    state = await _state(deps, video_id)
    if state in (None, VideoState.FAILED):
        await deps.storage.delete_prefix(object_prefix(video_id))
        raise _Abandoned(f"the video is {state or 'deleted'}")


async def _finish(
    deps: TranscodeDeps, job_id: uuid.UUID, error: str | None, result: dict[str, Any] | None
) -> None:
    async with deps.sessions() as session:
        row = await session.get(Job, job_id)
        if row is not None:
            queue.finish(row, error, result)
            await session.commit()
