"""Running ffmpeg in a child process: progress from `-progress`, a stall watchdog, stderr tail."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import imageio_ffmpeg

ProgressCallback = Callable[[float], Awaitable[None]]

STDERR_TAIL_BYTES = 4096
_CALLBACK_INTERVAL = 0.5  # seconds between on_progress calls: twice a second is smooth enough
# Keys whose change means ffmpeg really moved on. ffmpeg repeats its progress block every
# stats period even while blocked on input, so a mere line is no proof of life.
_MOTION_KEYS = ("out_time_us", "frame", "total_size")
_NOISE = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")  # "[libx264 @ 0x55…] " prefixes
_CONSEQUENCES = (
    "Conversion failed",
    "Error opening input",
    "Error opening output",
    "Error while opening encoder",
    "Error while filtering",
    "Nothing was written",
    "Task finished with error",
    "Terminating thread",
)
_PATH = re.compile(r"(?:file:)?/[^\s'\"]+")  # work paths are nobody's business in a reason


class RunningFfmpeg:
    """A started run, for a caller that must hold it back for a while (`pause`, `resume`)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    def pause(self) -> None:
        """Stop the run where it is (it keeps its memory, uses no CPU) until `resume`."""
        if self._process.returncode is None:
            os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._process.returncode is None:
            os.kill(self._process.pid, signal.SIGCONT)


# A worker killed with -9 must take its ffmpeg with it, so no orphan keeps encoding for
# nobody, or sits stopped (paused) for ever. Linux's PDEATHSIG does that, but it must be set
# in the child before exec; preexec_fn is unsafe in a process with threads (a fork can copy a
# lock held by another thread). So a tiny single-threaded Python sets it and execs ffmpeg
# (about 15 ms more per run); it exits at once if the worker died before PDEATHSIG was set.
_DEATHSIG_SHIM = (
    "import ctypes,os,signal,sys;"
    "ctypes.CDLL(None,use_errno=True).prctl(1,signal.SIGKILL);"
    "os.getppid()==int(sys.argv[1]) or os._exit(137);"
    "os.execv(sys.argv[2],sys.argv[2:])"
)


def dying_with_parent(argv: Sequence[str]) -> list[str]:
    """`argv` run so that its process is killed when this one dies (Linux; as is elsewhere)."""
    if sys.platform != "linux":
        return list(argv)
    return [sys.executable, "-I", "-S", "-c", _DEATHSIG_SHIM, str(os.getpid()), *argv]


def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped by imageio-ffmpeg (a static build with libx264)."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


class FfmpegError(Exception):
    pass


class FfmpegFailed(FfmpegError):
    """ffmpeg exited non-zero; `stderr_tail` is the end of its log, `summary` one clean line."""

    def __init__(self, returncode: int, stderr_tail: str) -> None:
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.summary = summarize(stderr_tail) or f"ffmpeg exited with status {returncode}"
        super().__init__(f"ffmpeg exited with status {returncode}: {stderr_tail}")


class FfmpegStalled(FfmpegError):
    """ffmpeg made no progress for `seconds` and was killed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"ffmpeg made no progress for {seconds:g} s and was killed")


def summarize(stderr_tail: str) -> str:
    """The most telling line of a failed run, without addresses or file paths.

    ffmpeg logs the cause first, then its consequences ("Error opening input file …"): the
    summary is the last line that is not a consequence.
    """
    lines = [_NOISE.sub("", line).strip() for line in stderr_tail.splitlines()]
    useful = [line for line in lines if line]
    causes = [line for line in useful if not line.startswith(_CONSEQUENCES)] or useful
    return _PATH.sub("…", causes[-1])[:300] if causes else ""


@dataclass
class ProgressTracker:
    """Folds `-progress` lines into a fraction done and whether ffmpeg moved since last block."""

    duration: float | None
    fraction: float = 0.0
    ended: bool = False
    _block: dict[str, str] = field(default_factory=dict)
    _last_motion: tuple[str, ...] = ()

    def feed(self, line: str) -> bool:
        """Take one line; True when it completes a block that shows forward motion."""
        key, _, value = line.strip().partition("=")
        if key != "progress":
            self._block[key] = value
            return False
        self.ended = value == "end"
        motion = tuple(self._block.get(k, "") for k in _MOTION_KEYS)
        moved, self._last_motion = motion != self._last_motion, motion
        self.fraction = 1.0 if self.ended else max(self.fraction, self._fraction())
        self._block = {}
        return moved or self.ended

    def _fraction(self) -> float:
        try:
            done = int(self._block.get("out_time_us", "")) / 1e6
        except ValueError:  # "N/A" before the first packet is written
            return 0.0
        if not self.duration or self.duration <= 0:
            return 0.0
        return min(max(done / self.duration, 0.0), 1.0)


async def run_ffmpeg(
    argv: list[str],
    *,
    duration: float | None,
    stall_seconds: float,
    on_progress: ProgressCallback | None,
    on_start: Callable[[RunningFfmpeg], None] | None = None,
) -> None:
    """Run ffmpeg to completion; the child is killed and reaped on stall, error or cancel.

    Raises FfmpegStalled when no progress is seen for `stall_seconds`, FfmpegFailed on a
    non-zero exit. `duration` (seconds of source) turns output time into a 0..1 fraction.
    `on_start` gets the run as soon as it started; time `on_progress` spends (a run paused
    while it makes something else first) never counts as a stall.
    """
    proc = await asyncio.create_subprocess_exec(
        *dying_with_parent(argv),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # Its own process group: a Ctrl-C meant for the worker reaches the worker, which then
        # stops or releases its jobs, rather than killing every ffmpeg under it at once.
        # (A new session makes one; uvloop, which `serve` runs on, refuses `process_group`.)
        start_new_session=True,
    )
    if on_start is not None:
        on_start(RunningFfmpeg(proc))
    tail = bytearray()
    drain = asyncio.create_task(_drain(proc, tail))
    try:
        assert proc.stdout is not None
        await _follow(proc.stdout, ProgressTracker(duration), stall_seconds, on_progress)
        try:
            returncode = await asyncio.wait_for(proc.wait(), stall_seconds)
        except TimeoutError:
            raise FfmpegStalled(stall_seconds) from None
        await drain
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        drain.cancel()
    if returncode != 0:
        raise FfmpegFailed(returncode, tail.decode(errors="replace"))


async def _drain(proc: asyncio.subprocess.Process, tail: bytearray) -> None:
    # Read stderr as it comes so ffmpeg never blocks on a full pipe; keep only the end.
    assert proc.stderr is not None
    while chunk := await proc.stderr.read(65536):
        tail += chunk
        del tail[:-STDERR_TAIL_BYTES]


async def _follow(
    stdout: asyncio.StreamReader,
    tracker: ProgressTracker,
    stall_seconds: float,
    on_progress: ProgressCallback | None,
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stall_seconds
    last_call = float("-inf")
    while True:
        try:
            line = await asyncio.wait_for(stdout.readline(), max(deadline - loop.time(), 0))
        except TimeoutError:
            raise FfmpegStalled(stall_seconds) from None
        if not line:
            return
        if not tracker.feed(line.decode(errors="replace")):
            continue
        deadline = loop.time() + stall_seconds
        if on_progress is not None and (
            tracker.ended or time.monotonic() - last_call >= _CALLBACK_INTERVAL
        ):
            last_call = time.monotonic()
            await on_progress(tracker.fraction)
            deadline = loop.time() + stall_seconds  # a slow callback is not a stalled ffmpeg
