"""Live feeds for the end-to-end tests: ffmpeg making a live source at real time, piped into
`clipcast live push`, as a streamer would run them; both killed with -9 to drop a feed."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg

PASSWORD = "correct horse battery"


def source_argv(seconds: float, *, size: str = "320x180", fps: int = 10) -> list[str]:
    """A testsrc2 picture (its frame counter burned in) and a tone, H.264 with a keyframe
    every 2 s, in MPEG-TS on stdout at real time."""
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-re"),
        *("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"),
        *("-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0"),
        *("-c:a", "aac", "-b:a", "48k"),
        *("-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0", "-flush_packets", "1", "-"),
    ]


class Feed:
    """`ffmpeg … | clipcast live push …`, running."""

    def __init__(self, source: subprocess.Popen[bytes], pusher: subprocess.Popen[bytes]) -> None:
        self.source, self.pusher = source, pusher

    def kill(self) -> None:
        """Drop the feed as a crash or a pulled cable would: no goodbye."""
        for proc in (self.pusher, self.source):
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        if self.pusher.stderr is not None:
            self.pusher.stderr.close()

    def wait(self, timeout: float) -> list[dict[str, Any]]:
        """The server's messages, once the feed ended by itself."""
        self.source.wait(timeout)
        _, err = self.pusher.communicate(timeout=timeout)
        return [json.loads(line) for line in err.decode().splitlines() if line.startswith("{")]


@contextmanager
def live_feed(url: str, stream_id: str, key: str, seconds: float) -> Iterator[Feed]:
    exe = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"
    source = subprocess.Popen(source_argv(seconds), stdout=subprocess.PIPE)
    assert source.stdout is not None
    pusher = subprocess.Popen(
        [exe, "live", "push", stream_id, "--key", key, "--server", url],
        stdin=source.stdout,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    source.stdout.close()  # the pusher holds the pipe now
    feed = Feed(source, pusher)
    try:
        yield feed
    finally:
        feed.kill()


async def account(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Sign up `username`; the Authorization header of its API token."""
    body = {"username": username, "password": PASSWORD}
    assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
    token = (await http.post("/api/v1/auth/token", json=body)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def new_stream(
    http: httpx.AsyncClient, auth: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await http.post(
        "/api/v1/streams", json={"title": "e2e live", **fields}, headers=auth
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def wait_for_clips(http: httpx.AsyncClient, stream_id: str, count: int) -> int:
    """The newest clip index once at least `count` clips are published."""
    for _ in range(300):
        body = (await http.get(f"/api/v1/streams/{stream_id}/current")).json()
        if body["state"] == "live" and body["index"] >= count - 1:
            probe = await http.get(body["document"])
            if probe.status_code == 200:
                return int(body["index"])
        await asyncio.sleep(0.2)
    raise AssertionError(f"stream {stream_id} never reached {count} clips")
