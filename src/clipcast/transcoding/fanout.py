"""A batch of rungs as child jobs any worker may take: one per chunk, plus the audio; then
their clips stitched into renditions and published.

The parent job that waits for its children takes them too, so a lone worker still finishes,
and a parent taken over after a crash finds the children already made by their parent id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from clipcast.core.clock import utcnow
from clipcast.jobs import queue
from clipcast.jobs.models import Job
from clipcast.transcoding.children import run_child_job
from clipcast.transcoding.chunking import StitchError, stitch
from clipcast.transcoding.deps import TranscodeDeps
from clipcast.transcoding.keys import parts_prefix
from clipcast.transcoding.ladder import Rung
from clipcast.transcoding.publish import INIT_TYPE, publish_renditions, upload_playlist
from clipcast.transcoding.rendition import RenditionSummary, summarize
from clipcast.transcoding.tasks import Batch, EncodedPart, EncodeTask, parts_of
from clipcast.videos.keys import init_key

log = logging.getLogger(__name__)

Progress = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class _Stitched:
    summary: RenditionSummary
    init: bytes


def task_of(job: Job) -> EncodeTask:
    if job.payload is None:
        raise ValueError(f"child job {job.id} has no task")
    return EncodeTask.from_payload(job.payload)


async def encode_in_chunks(
    deps: TranscodeDeps,
    parent: Job,
    batch: Batch,
    *,
    worker: str,
    source: Path,
    on_progress: Progress,
) -> bool:
    """Make, await (helping), stitch and publish the batch; False if it must be encoded whole.

    False means a child failed or the chunks do not join cleanly: the caller then encodes the
    batch in one piece, which either works or fails the video with a reason.
    """
    kids = await children_of_batch(deps, parent.id, batch.number)
    if not kids:
        await _enqueue(deps, parent, batch)
    kids = await _await_batch(deps, parent.id, batch.number, worker, source, on_progress)
    failed = [k.last_error or "no result" for k in kids if k.last_error or k.result is None]
    try:
        if failed:
            raise StitchError(f"a part failed: {failed[0]}")
        stitched = await _stitch_all(deps, batch.rungs, kids)
    except StitchError as exc:
        log.warning("video %s: %s; encoding the batch whole", parent.video_id, exc)
        await _drop_parts(deps, parent.video_id, batch.rungs)
        return False
    await _publish(deps, parent.video_id, stitched)
    await _drop_parts(deps, parent.video_id, batch.rungs)
    return True


async def _enqueue(deps: TranscodeDeps, parent: Job, batch: Batch) -> None:
    settings = deps.settings
    tasks = batch.tasks(preset=settings.x264_preset, clip_seconds=settings.clip_seconds)
    now = utcnow()
    async with deps.sessions() as session:
        for order, task in enumerate(tasks):
            kind = queue.JobKind.ENCODE_CHUNK if task.chunk else queue.JobKind.ENCODE_AUDIO
            # One microsecond apart, so workers take the parts in order: the audio, then the
            # chunks from the start of the video.
            queue.enqueue(
                session,
                kind,
                parent.video_id,
                now + timedelta(microseconds=order),
                parent_id=parent.id,
                payload=task.to_payload(),
            )
        await session.commit()


async def children_of_batch(deps: TranscodeDeps, parent_id: uuid.UUID, number: int) -> list[Job]:
    kids = await queue.children(deps.sessions, parent_id)
    return [k for k in kids if task_of(k).batch == number]


async def _await_batch(
    deps: TranscodeDeps,
    parent_id: uuid.UUID,
    number: int,
    worker: str,
    source: Path,
    on_progress: Progress,
) -> list[Job]:
    """Wait until every child of the batch is done, running any that nobody has taken."""
    settings = deps.settings
    while True:
        kids = await children_of_batch(deps, parent_id, number)
        await on_progress(_fraction_done(kids))
        if all(k.state == queue.JobState.DONE for k in kids):
            return kids
        child = await queue.claim(
            deps.sessions,
            kinds=queue.CHILD_KINDS,
            worker=worker,
            now=utcnow(),
            lease=timedelta(seconds=settings.job_lease_seconds),
            parent_id=parent_id,
        )
        if child is None:
            await asyncio.sleep(settings.worker_poll_seconds)  # others are encoding the rest
        else:
            await run_child_job(deps, child, worker, source=source)


def _fraction_done(kids: Sequence[Job]) -> float:
    weights = [(task_of(k).weight(), k.state == queue.JobState.DONE) for k in kids]
    total = sum(w for w, _ in weights)
    return sum(w for w, done in weights if done) / total if total else 0.0


async def _stitch_all(
    deps: TranscodeDeps, rungs: Sequence[Rung], kids: Sequence[Job]
) -> list[_Stitched]:
    # One child per part of each rendition; should two parents racing after a takeover both
    # have enqueued the batch, the first of each serves (both encoded the same frames alike).
    found: dict[int, dict[int, EncodedPart]] = {}
    for kid in sorted(kids, key=lambda k: k.created_at):
        number = task_of(kid).part
        for part in parts_of(kid.result or {"parts": []}):
            found.setdefault(part.resolution, {}).setdefault(number, part)
    clip_seconds = deps.settings.clip_seconds
    return [
        await _stitch_rung(deps, rung, _in_order(found.get(rung.resolution, {})), clip_seconds)
        for rung in rungs
    ]


def _in_order(parts: dict[int, EncodedPart]) -> list[EncodedPart]:
    return [parts[number] for number in sorted(parts)]


async def _stitch_rung(
    deps: TranscodeDeps, rung: Rung, parts: Sequence[EncodedPart], clip_seconds: int
) -> _Stitched:
    clips = stitch([p.clips for p in parts], clip_seconds=clip_seconds, exact=rung.has_video)
    inits = {await deps.storage.get_bytes(p.init_key) for p in parts}
    # Chunks encoded with the same settings have byte-identical init segments (the same avcC
    # and sample description, no edit list): any one of them serves every clip. Should they
    # ever differ, the clips are not interchangeable and the batch is encoded whole instead.
    if len(inits) != 1 or len({p.codecs for p in parts}) != 1:
        raise StitchError(f"the chunks of {rung.name} have different init segments")
    summary = summarize(rung, parts[0].codecs, parts[0].frame_rate, clips, clip_seconds)
    return _Stitched(summary, inits.pop())


async def _publish(deps: TranscodeDeps, video_id: uuid.UUID, stitched: Sequence[_Stitched]) -> None:
    """Init segments and media playlists (the clips are stored already), then the rows and the
    master in one commit."""
    storage, clip_seconds = deps.storage, deps.settings.clip_seconds
    for s in stitched:
        await storage.put_bytes(init_key(video_id, s.summary.rung.resolution), s.init, INIT_TYPE)
        await upload_playlist(storage, video_id, s.summary, clip_seconds)
    summaries = [s.summary for s in stitched]
    await publish_renditions(deps.sessions, storage, video_id, summaries, utcnow())


async def _drop_parts(deps: TranscodeDeps, video_id: uuid.UUID, rungs: Sequence[Rung]) -> None:
    for rung in rungs:
        await deps.storage.delete_prefix(parts_prefix(video_id, rung.resolution))
