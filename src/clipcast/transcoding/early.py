"""Playable early from one ffmpeg run: the lowest rung and the audio are published as their
clips come out, while the same run encodes every other rung.

Why one run: a separate run for the lowest rung decodes the source a second time, about an
eighth of all the work for a 1080p source (bench/vod_pipeline.py). ffmpeg closes the clips of
every rung at the same pace, so the lowest rung's and the audio's clips are uploaded as they
are closed, and the video becomes playable once a viewer who starts now would never catch up
with the encoder (`safe_to_play`). Until the run ends their playlists are EVENT playlists
that grow (players reload them and play on); at the end every rung is published as VOD.

A source the machine encodes much slower than real time (4K at 60 fps on two cores) would
keep viewers waiting for most of the run. When one run's wait is longer than a run of the
lowest rung and the audio alone would take (`run_alone_pays`), the whole-ladder run is paused
(SIGSTOP: it keeps its place), those two are made alone and published whole, and the run
resumes: a second decode of the source, paid only where it shortens the wait.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from clipcast.adapters.media.ffmpeg import RunningFfmpeg
from clipcast.core.clock import utcnow
from clipcast.transcoding.deps import TranscodeDeps
from clipcast.transcoding.encoder import EncodedRendition, describe_rendition
from clipcast.transcoding.ladder import Rung
from clipcast.transcoding.publish import (
    INIT_TYPE,
    publish_renditions,
    upload_clips,
    upload_objects,
    upload_playlist,
)
from clipcast.transcoding.segments import PlaylistError
from clipcast.videos.keys import init_key

# A viewer starts with this many clips ready, so a slow first fetch does not stall them.
LEAD_CLIPS = 2
# The speed so far is taken as this much slower than measured: machines get busy.
SPEED_MARGIN = 1.25
# How often growing playlists are rewritten: players reload an EVENT playlist about once a
# target duration, so more often is wasted.
REPUBLISH_SECONDS = 2.0
# The lowest rung and the audio alone go this many times faster than the whole ladder:
# measured 2.3 for a 2160p30 source and 5.6 for 1080p30. The question only arises for heavy
# sources, where decoding weighs most, so the 2160p figure.
ALONE_SPEEDUP = 2.3
ALONE_OVERHEAD_SECONDS = 2.0  # another ffmpeg start, probe of its output, uploads
DECIDE_AFTER_SECONDS = 3.0  # the measured speed means little before
# The second decode delays `ready`: worth it only when it cuts the wait by a third or more.
ALONE_MUST_WIN = 1.5


def _needed(*, duration: float, speed: float, clip_seconds: int) -> float:
    """Seconds from the start that must be stored before a viewer who starts playing now, at
    normal speed, never waits for a clip, with the encoder adding `speed` seconds of video per
    second.

    The viewer needs the clip holding position t by time t. When the encoder is faster than
    playback that holds once they have a lead; when it is slower the gap closes, and it must
    not close before the last clip: published + speed × (duration − clip) ≥ duration.
    """
    need = min(duration, LEAD_CLIPS * clip_seconds)
    cautious = speed / SPEED_MARGIN
    if cautious < 1:
        need = max(need, duration - cautious * max(duration - clip_seconds, 0.0))
    return need


def safe_to_play(*, duration: float, published: float, speed: float, clip_seconds: int) -> bool:
    """Whether a viewer who starts playing now never waits, `published` seconds being stored."""
    if published >= duration - 1e-6:
        return True
    if speed <= 0:
        return False
    return published >= _needed(duration=duration, speed=speed, clip_seconds=clip_seconds)


def wait_in_one_run(*, duration: float, published: float, speed: float, clip_seconds: int) -> float:
    """Seconds until `safe_to_play` holds if the run keeps going at `speed`."""
    if speed <= 0:
        return float("inf")
    need = _needed(duration=duration, speed=speed, clip_seconds=clip_seconds)
    return max(need - published, 0.0) / speed


def run_alone_pays(*, duration: float, published: float, speed: float, clip_seconds: int) -> bool:
    """Whether pausing the run to make the lowest rung and the audio alone plays sooner."""
    if speed <= 0:
        return False
    alone = duration / (speed * ALONE_SPEEDUP) + ALONE_OVERHEAD_SECONDS
    wait = wait_in_one_run(
        duration=duration, published=published, speed=speed, clip_seconds=clip_seconds
    )
    return wait > ALONE_MUST_WIN * alone


MakeAlone = Callable[[], Awaitable[list[EncodedRendition]]]


class EarlyPublisher:
    """Follows one ffmpeg run (as its progress callback) and publishes `rungs` as they grow."""

    def __init__(
        self,
        deps: TranscodeDeps,
        video_id: uuid.UUID,
        rungs: Sequence[Rung],
        out_dir: Path,
        *,
        duration: float,
        frame_rate: float,
        make_alone: MakeAlone | None = None,
    ) -> None:
        self._deps = deps
        self._make_alone = make_alone
        self._run: RunningFfmpeg | None = None
        self._decided = False
        self.made_alone: frozenset[int] = frozenset()  # resolutions published whole already
        self._video_id = video_id
        self._rungs = list(rungs)
        self._out_dir = out_dir
        self._duration = duration
        self._frame_rate = frame_rate
        self._started = time.monotonic()
        self._stored: dict[int, set[int]] = {r.resolution: set() for r in rungs}
        self._inits: set[int] = set()
        self._published_at: float | None = None  # monotonic time of the last publication
        self._published_count = 0

    def on_start(self, run: RunningFfmpeg) -> None:
        self._run = run

    def stored(self, resolution: int) -> frozenset[int]:
        """Indexes of the clips of `resolution` already uploaded."""
        return frozenset(self._stored.get(resolution, ()))

    async def on_progress(self, fraction: float) -> None:
        if fraction >= 1.0 or not self._rungs or self.made_alone:
            return  # over: the rest is published whole, as VOD, when the run ends
        now = time.monotonic()
        speed = fraction * self._duration / max(now - self._started, 1e-3)
        found = await asyncio.to_thread(self._read)
        published = min(e.clips[-1].offset + e.clips[-1].duration for e in found) if found else 0.0
        if self._published_at is None and await self._alone_if_sooner(published, speed, now):
            return
        if found is None:
            return
        await self._upload(found)
        count = sum(len(e.clips) for e in found)
        if self._published_at is None:
            clip_seconds = self._deps.settings.clip_seconds
            if not safe_to_play(
                duration=self._duration,
                published=published,
                speed=speed,
                clip_seconds=clip_seconds,
            ):
                return
        elif count == self._published_count or now - self._published_at < REPUBLISH_SECONDS:
            return
        await self._publish(found)
        self._published_at, self._published_count = now, count

    async def _alone_if_sooner(self, published: float, speed: float, now: float) -> bool:
        """Pause the run, make and publish the early rungs alone, resume; once at most."""
        if self._decided or self._make_alone is None or self._run is None:
            return False
        if now - self._started < DECIDE_AFTER_SECONDS or speed <= 0:
            return False
        self._decided = True
        clip_seconds = self._deps.settings.clip_seconds
        if not run_alone_pays(
            duration=self._duration, published=published, speed=speed, clip_seconds=clip_seconds
        ):
            return False
        deps = self._deps
        self._run.pause()
        try:
            made = await self._make_alone()
            for enc in made:
                await upload_objects(deps.storage, self._video_id, enc, clip_seconds)
            summaries = [enc.summary for enc in made]
            await publish_renditions(
                deps.sessions, deps.storage, self._video_id, summaries, utcnow()
            )
        finally:
            self._run.resume()
        self.made_alone = frozenset(enc.rung.resolution for enc in made)
        self._published_at = time.monotonic()
        return True

    def _read(self) -> list[EncodedRendition] | None:
        """The clips ffmpeg has closed so far, or None until every rung has one."""
        clip_seconds = self._deps.settings.clip_seconds
        found = []
        for rung in self._rungs:
            try:
                enc = describe_rendition(
                    rung, self._out_dir, self._frame_rate, clip_seconds, finished=False
                )
            except (OSError, PlaylistError, ValueError):
                return None  # not written yet, or caught mid-rewrite: next time
            if not enc.clips:
                return None
            found.append(enc)
        return found

    async def _upload(self, found: Sequence[EncodedRendition]) -> None:
        storage = self._deps.storage
        for enc in found:
            res = enc.rung.resolution
            if res not in self._inits:
                await storage.put_file(init_key(self._video_id, res), enc.init_path, INIT_TYPE)
                self._inits.add(res)
            new = [(c.index, c.path) for c in enc.clips if c.index not in self._stored[res]]
            await upload_clips(storage, self._video_id, res, new)
            self._stored[res].update(index for index, _ in new)

    async def _publish(self, found: Sequence[EncodedRendition]) -> None:
        deps, clip_seconds = self._deps, self._deps.settings.clip_seconds
        for enc in found:
            await upload_playlist(
                deps.storage, self._video_id, enc.summary, clip_seconds, ended=False
            )
        await publish_renditions(
            deps.sessions,
            deps.storage,
            self._video_id,
            [enc.summary for enc in found],
            utcnow(),
            complete=False,
        )
