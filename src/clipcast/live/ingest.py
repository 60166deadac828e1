"""One feed into a live stream, from its first byte to its last clip: probe the head as
untrusted media, start the segmenter, cut its output into clips, publish each, and tell the
streamer how it goes. Where the bytes come from (a WebSocket, an SRT listener) is the
caller's business: they arrive as an async iterator of chunks.

A feed that stops, mid-clip or not, still publishes what it sent: the segmenter's input is
closed, it writes out its last fragment, and the short last clip goes out like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clipcast.adapters.media.ffmpeg import ffmpeg_exe
from clipcast.adapters.media.probe import ProbeLimits
from clipcast.core.clock import utcnow
from clipcast.live import repository as repo
from clipcast.live.argv import segmenter_argv
from clipcast.live.cutting import ClipTooLong, CutClip, CutRules, Cutter
from clipcast.live.documents import LiveRung
from clipcast.live.failures import FeedFailed
from clipcast.live.fragments import Init
from clipcast.live.models import FeedState, LiveStream
from clipcast.live.plan import (
    FeedFacts,
    FeedRefused,
    IngestPlan,
    plan_following,
    plan_ingest,
)
from clipcast.live.playlist import WINDOW
from clipcast.live.probing import HeadProbe, probe_head
from clipcast.live.publish import FeedRun, PublishDeps, Superseded, clip_of_mark, publish_clip
from clipcast.live.reading import Chunks, FeedEnded
from clipcast.live.segmenter import Output, Segmenter, SegmenterGone
from clipcast.live.timeline import Timeline

log = logging.getLogger(__name__)

Notify = Callable[[dict[str, Any]], Awaitable[None]]

MAX_BOX = 64 * 1024**2  # a box (a fragment's media) larger than this stops the feed


@dataclass(frozen=True)
class IngestConfig:
    clip_seconds: int
    ladder: list[int]
    max_resolution: int
    preset: str
    idle_seconds: float
    probe_limits: ProbeLimits
    probe_timeout: float
    work_dir: Path

    @property
    def head_probe(self) -> HeadProbe:
        return HeadProbe(self.idle_seconds, self.probe_limits, self.probe_timeout, self.work_dir)

    @property
    def rules(self) -> CutRules:
        return CutRules(target=float(self.clip_seconds))

    @property
    def stall_seconds(self) -> float:
        """No output this long while the feed flows: the segmenter is stuck."""
        return max(self.idle_seconds, self.rules.max_seconds) + 5


async def run_feed(
    *,
    deps: PublishDeps,
    config: IngestConfig,
    video_id: uuid.UUID,
    source: AsyncIterator[bytes],
    notify: Notify,
) -> int:
    """Take the feed until it ends; the number of clips it published. Raises FeedFailed with
    what to tell the streamer (after publishing whatever could be)."""
    run, kept = await _begin(deps, video_id)
    chunks = Chunks(source)
    try:
        head, first_at = await probe_head(chunks, config.head_probe)
        plan = plan_following(head.facts, _plan(head.facts, config), kept)
        await notify({"type": "ready", "mode": plan.mode, "renditions": len(plan.rungs)})
        feed = _Feed(head.facts.container, plan, head.data, first_at)
        return await _segment(deps, config, run, feed, chunks, notify)
    except Superseded:
        raise FeedFailed("superseded", "Another feed took this stream over.") from None
    finally:
        await chunks.close()
        await _end_feed(deps, run)


async def _begin(
    deps: PublishDeps, video_id: uuid.UUID
) -> tuple[FeedRun, list[tuple[int, int, int]]]:
    async with deps.sessions() as session:
        epoch = await repo.take_epoch(session, video_id, utcnow())
        stream = await session.get(LiveStream, video_id)
        if epoch is None or stream is None:
            raise FeedFailed("stream_ended", "This stream has ended.")
        recent = await repo.recent_marks(session, video_id, WINDOW)
        await session.commit()
        run = FeedRun(
            video_id=video_id,
            epoch=epoch,
            rungs=[],
            inits={},
            discontinuity_sequence=stream.discontinuities,
            media_seconds=stream.media_seconds,
            stream_started=stream.current_index is not None,
            window=deque((clip_of_mark(m, s) for m, s in recent), maxlen=WINDOW),
        )
        kept = [(r["resolution"], r["width"], r["height"]) for r in stream.rungs]
    return run, kept


async def _end_feed(deps: PublishDeps, run: FeedRun) -> None:
    """The feed is gone: the stream waits for the next one (unless another took it over)."""
    async with deps.sessions() as session:
        stream = await session.get(LiveStream, run.video_id, with_for_update=True)
        if stream is not None and stream.epoch == run.epoch:
            if stream.feed_state != FeedState.ENDED:
                stream.feed_state = FeedState.WAITING
            stream.feed_seen_at = stream.updated_at = utcnow()
            await session.commit()


def _plan(facts: FeedFacts, config: IngestConfig) -> IngestPlan:
    try:
        return plan_ingest(facts, ladder=config.ladder, max_resolution=config.max_resolution)
    except FeedRefused as refused:
        raise FeedFailed("bad_feed", refused.reason) from None


@dataclass(frozen=True)
class _Feed:
    container: str  # the demuxer the probe sniffed
    plan: IngestPlan
    head: bytes  # what was read to probe it: the segmenter's first input
    first_at: datetime  # when its first byte arrived


async def _segment(
    deps: PublishDeps,
    config: IngestConfig,
    run: FeedRun,
    feed: _Feed,
    chunks: Chunks,
    notify: Notify,
) -> int:
    def argv(outputs: Sequence[int]) -> list[str]:
        return segmenter_argv(
            ffmpeg_exe(),
            feed.container,
            feed.plan,
            outputs=outputs,
            clip_seconds=config.clip_seconds,
            preset=config.preset,
        )

    segmenter = await Segmenter.start(argv, len(feed.plan.rungs), MAX_BOX)
    pump = _Pump(segmenter, chunks, config.idle_seconds)
    pumping = asyncio.create_task(pump.run(feed.head))
    try:
        work = _Assembly(deps, config, run, feed, notify)
        await work.consume(segmenter, pump, config.stall_seconds)
        code = await asyncio.wait_for(segmenter.wait(), config.stall_seconds)
        # ffmpeg ends when its input does; one that ended first gave up on the feed.
        gave_up = not pumping.done()
    finally:
        pumping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pumping
        await segmenter.stop()
    if pump.error is not None:
        raise pump.error
    if code != 0 or gave_up:
        raise FeedFailed("bad_feed", f"The feed could not be decoded: {segmenter.reason()}")
    return run.published


class _Pump:
    """Feeds the segmenter from the source; on any way out, closes its input so ffmpeg
    writes out what it has (a feed that stops mid-clip still gets its last clip)."""

    def __init__(self, segmenter: Segmenter, chunks: Chunks, idle: float) -> None:
        self._segmenter, self._chunks, self._idle = segmenter, chunks, idle
        self.error: FeedFailed | None = None
        self.fed_at = time.monotonic()

    async def run(self, head: bytes) -> None:
        try:
            await self._feed(head)
            while (chunk := await self._chunks.next(self._idle)) is not None:
                await self._feed(chunk)
            self.error = FeedFailed("idle", f"No data for {self._idle:g} s: the feed stopped.")
        except FeedEnded:
            pass  # the sender said goodbye
        except FeedFailed as failed:
            self.error = failed
        except SegmenterGone as gone:
            self.error = FeedFailed("bad_feed", f"The feed could not be decoded: {gone}")
        finally:
            await self._segmenter.close_input()

    async def _feed(self, data: bytes) -> None:
        await self._segmenter.write(data)
        self.fed_at = time.monotonic()


class _Assembly:
    """Fragments of every rendition -> clips cut at the same instants -> published in order."""

    def __init__(
        self,
        deps: PublishDeps,
        config: IngestConfig,
        run: FeedRun,
        feed: _Feed,
        notify: Notify,
    ) -> None:
        self._deps, self._config, self._run = deps, config, run
        plan = self._plan = feed.plan
        self._first_at, self._notify = feed.first_at, notify
        self._cutters = [Cutter(config.rules) for _ in plan.rungs]
        self._ready: list[deque[CutClip]] = [deque() for _ in plan.rungs]
        self._inits: dict[int, Init] = {}
        self._timeline: Timeline | None = None
        self._warned = False
        self._last_out = time.monotonic()

    async def consume(self, segmenter: Segmenter, pump: _Pump, stall: float) -> None:
        open_rungs = len(self._plan.rungs)
        while open_rungs:
            out = await self._next(segmenter, pump, stall)
            if out.ended:
                open_rungs -= 1
                if out.error is not None:
                    raise FeedFailed("bad_feed", f"The feed could not be cut: {out.error}")
                self._flush(out.rung)
            else:
                self._take(out)
            await self._publish_ready()
        if not self._inits and pump.error is None:
            raise FeedFailed("bad_feed", f"The feed could not be decoded: {segmenter.reason()}")

    async def _next(self, segmenter: Segmenter, pump: _Pump, stall: float) -> Output:
        while True:
            try:
                return await asyncio.wait_for(segmenter.outputs.get(), 1.0)
            except TimeoutError:
                # Stuck only if data went in recently and nothing came out for `stall` s.
                if time.monotonic() - pump.fed_at < stall and self._silent_for() > stall:
                    raise FeedFailed(
                        "stalled", "The feed's video could not be processed in time."
                    ) from None

    def _silent_for(self) -> float:
        return time.monotonic() - self._last_out

    def _take(self, out: Output) -> None:
        self._last_out = time.monotonic()
        if out.init is not None:
            self._inits[out.rung] = out.init
            return
        assert out.fragment is not None
        if out.rung == 0:
            self._observe(out.fragment.start, out.fragment.end)
        try:
            clip = self._cutters[out.rung].push(out.fragment)
        except ClipTooLong as too_long:
            raise FeedFailed("keyframes", too_long.reason) from None
        if clip is not None:
            self._ready[out.rung].append(clip)

    def _observe(self, start: float, end: float) -> None:
        if self._timeline is None:
            self._timeline = Timeline.starting(start, self._first_at)
        self._timeline.observe(end, utcnow())

    def _flush(self, rung: int) -> None:
        clip = self._cutters[rung].flush()
        if clip is not None and clip.duration > 0:
            self._ready[rung].append(clip)

    async def _publish_ready(self) -> None:
        while all(self._ready):
            parts = [ready.popleft() for ready in self._ready]
            await self._publish(parts)

    async def _publish(self, parts: list[CutClip]) -> None:
        run = self._run
        if not run.rungs:
            run.rungs = [self._rung(i) for i in range(len(self._plan.rungs))]
            run.inits = {r.resolution: self._inits[i] for i, r in enumerate(run.rungs)}
        assert self._timeline is not None
        clip = await publish_clip(self._deps, run, parts, self._timeline.wall_at(parts[0].start))
        tally = self._deps.tally
        await self._notify(
            {
                "type": "clip",
                "index": clip.index,
                "media_time": round(clip.media_time, 3),
                "duration": round(clip.duration, 3),
                "viewers": tally.viewers(run.video_id, clip.index - 1) if tally else None,
            }
        )
        await self._warn_if_long(clip.duration)

    def _rung(self, i: int) -> LiveRung:
        rung, init = self._plan.rungs[i], self._inits[i]
        video = init.video
        return LiveRung(
            resolution=rung.resolution,
            width=video.width if video else rung.width,
            height=video.height if video else rung.height,
            bandwidth=rung.maxrate,
            codecs=init.codecs,
        )

    async def _warn_if_long(self, duration: float) -> None:
        target = self._config.clip_seconds
        if duration > 1.5 * target and not self._warned:
            self._warned = True
            await self._notify(
                {
                    "type": "warning",
                    "code": "keyframes",
                    "message": f"A clip lasted {duration:.1f} s: set your encoder's keyframe "
                    f"interval to {target} s for the lowest latency.",
                }
            )
