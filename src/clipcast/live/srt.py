"""SRT ingest for encoders (OBS, ffmpeg) that cannot speak our WebSocket: a listener per stream,
opened by its owner, on a UDP port of the configured range. ffmpeg listens with a passphrase
made for this listener (SRT's encryption refuses a caller without it) and passes the MPEG-TS
on as a feed, through the same ingest as the WebSocket's. It listens again after each
caller leaves, until the stream ends or nobody called for a while.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from clipcast.adapters.media.ffmpeg import dying_with_parent, ffmpeg_exe
from clipcast.live.argv import srt_listener_argv

log = logging.getLogger(__name__)

WAIT_SECONDS = 120  # a listener nobody called for this long closes
READ = 64 * 1024


class NoSrt(Exception):
    """SRT is off, or every port of its range is taken."""


@dataclass(frozen=True)
class SrtEndpoint:
    port: int
    passphrase: str

    def url(self, host: str) -> str:
        return f"srt://{host}:{self.port}?passphrase={self.passphrase}&pbkeylen=16"


def port_range(text: str) -> range:
    """'19350-19359' -> those ports; '' -> none."""
    if not text.strip():
        return range(0)
    low, _, high = text.partition("-")
    first = int(low)
    return range(first, int(high or first) + 1)


# Runs one caller's feed: given its chunks, returns when the feed is over.
RunFeed = Callable[[AsyncIterator[bytes]], Coroutine[Any, Any, None]]
StillLive = Callable[[], Coroutine[Any, Any, bool]]


class SrtListeners:
    """The SRT listeners of this process, one per stream at most."""

    def __init__(self, host: str, ports: range) -> None:
        self._host, self._ports = host, ports
        self._open: dict[uuid.UUID, tuple[SrtEndpoint, asyncio.Task[None]]] = {}

    def open(self, video_id: uuid.UUID, run_feed: RunFeed, still_live: StillLive) -> SrtEndpoint:
        """The stream's listener, started if it was not running."""
        running = self._open.get(video_id)
        if running is not None and not running[1].done():
            return running[0]
        endpoint = SrtEndpoint(self._free_port(), secrets.token_urlsafe(24))
        task = asyncio.create_task(self._listen(video_id, endpoint, run_feed, still_live))
        self._open[video_id] = (endpoint, task)
        return endpoint

    async def close(self, video_id: uuid.UUID) -> None:
        running = self._open.pop(video_id, None)
        if running is not None:
            running[1].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running[1]

    def _free_port(self) -> int:
        taken = {e.port for e, task in self._open.values() if not task.done()}
        for port in self._ports:
            if port not in taken:
                return port
        raise NoSrt("SRT is off here." if not self._ports else "Every SRT port is in use.")

    async def _listen(
        self, video_id: uuid.UUID, endpoint: SrtEndpoint, run_feed: RunFeed, still_live: StillLive
    ) -> None:
        argv = srt_listener_argv(
            ffmpeg_exe(), self._host, endpoint.port, endpoint.passphrase, WAIT_SECONDS
        )
        while await still_live():
            if not await _one_caller(argv, run_feed):
                break  # nobody called: the listener closes (its owner may open it again)
        self._open.pop(video_id, None)


async def _one_caller(argv: list[str], run_feed: RunFeed) -> bool:
    """Listen for one caller and run its feed; False if none came."""
    proc = await asyncio.create_subprocess_exec(
        *dying_with_parent(argv),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        first = await proc.stdout.read(READ)
        if not first:
            return False
        await run_feed(_chunks(first, proc.stdout))
        return True
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _chunks(first: bytes, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    yield first
    while chunk := await reader.read(READ):
        yield chunk
