"""Probing the head of a feed as untrusted media, as an upload is probed
(adapters/media/probe.py: magic-byte sniffing, an allow-listed demuxer, caps, a child process
with a deadline): enough of it to show a picture, read without losing a byte."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clipcast.adapters.media.probe import MediaRejected, ProbeLimits, probe_file
from clipcast.core.clock import utcnow
from clipcast.live.failures import FeedFailed
from clipcast.live.plan import FeedFacts
from clipcast.live.reading import Chunks, FeedEnded

PROBE_STEPS = ((64 * 1024, 0.5), (512 * 1024, 1.5), (4 * 1024**2, 4.0))  # (bytes, seconds)


@dataclass(frozen=True)
class HeadProbe:
    idle_seconds: float  # no first byte this long: the feed is refused
    limits: ProbeLimits
    timeout: float
    work_dir: Path


@dataclass(frozen=True)
class Head:
    data: bytes
    facts: FeedFacts


async def probe_head(chunks: Chunks, how: HeadProbe) -> tuple[Head, datetime]:
    """Read the start of the feed and probe it like an upload; read more while it is merely
    too short to show a picture. Returns it with the wall time of its first byte."""
    data = bytearray(await _first(chunks, how.idle_seconds))
    first_at, started = utcnow(), time.monotonic()
    reason = ""
    for bytes_wanted, seconds in PROBE_STEPS:
        while len(data) < bytes_wanted and time.monotonic() - started < seconds:
            remaining = max(seconds - (time.monotonic() - started), 0.01)
            try:
                chunk = await chunks.next(remaining)
            except FeedEnded:
                chunk = None
            if chunk is None:
                break
            data += chunk
        try:
            return Head(bytes(data), await _probe(bytes(data), how)), first_at
        except MediaRejected as rejected:
            if not rejected.reason.startswith("The file is truncated"):
                raise FeedFailed("bad_feed", _as_feed(rejected.reason)) from None
            reason = rejected.reason
    raise FeedFailed("bad_feed", _as_feed(reason))


def _as_feed(reason: str) -> str:
    return reason.replace("The file", "The feed", 1).replace("a video file", "a video feed")


async def _first(chunks: Chunks, idle: float) -> bytes:
    try:
        chunk = await chunks.next(idle)
    except FeedEnded:
        raise FeedFailed("no_data", "The feed ended before any video arrived.") from None
    if chunk is None:
        raise FeedFailed("idle", f"No data for {idle:g} s.")
    return chunk


async def _probe(data: bytes, how: HeadProbe) -> FeedFacts:
    how.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=how.work_dir, prefix="live-head-") as file:
        await asyncio.to_thread(_write, file, data)
        result = await probe_file(Path(file.name), how.limits, timeout=how.timeout)
    return FeedFacts(
        container=result.container,
        video_codec=result.video_codec,
        width=result.width,
        height=result.height,
        fps=result.fps,
        has_audio=result.has_audio,
    )


def _write(file: Any, data: bytes) -> None:
    file.write(data)
    file.flush()
