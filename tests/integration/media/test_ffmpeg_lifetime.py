"""An ffmpeg run never outlives the worker that started it, and runs in its own process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_WORKER = """
import asyncio, sys
from clipcast.adapters.media.ffmpeg import ffmpeg_exe, run_ffmpeg

def started(run):
    print(run._process.pid, flush=True)

argv = [ffmpeg_exe(), "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5,realtime",
        "-f", "null", "-", "-progress", "pipe:1"]
asyncio.run(run_ffmpeg(argv, duration=None, stall_seconds=600, on_progress=None,
                       on_start=started))
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _name(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def _wait_for(predicate: object, what: str, seconds: float = 30.0) -> None:
    # A deadline for a thing to happen at all, not a speed requirement.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def test_kill_9_of_the_worker_kills_its_ffmpeg() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _WORKER], stdout=subprocess.PIPE, text=True
    ) as worker:
        try:
            assert worker.stdout is not None
            pid = int(worker.stdout.readline())
            _wait_for(lambda: _alive(pid) and _name(pid).startswith("ffmpeg"), "ffmpeg running")
            assert os.getpgid(pid) != os.getpgid(worker.pid)  # a group of its own
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            _wait_for(lambda: not _alive(pid), "ffmpeg killed with its worker")
        finally:
            worker.kill()
