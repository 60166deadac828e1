"""The segmenter process: one ffmpeg reading a feed on stdin and writing each rendition as
fragmented MP4 to a pipe of its own, read here box by box into init segments and fragments.

ffmpeg dies with this process (`dying_with_parent`), runs in a session of its own, and is
killed and reaped on every way out. Memory stays bounded: the feed is written with back
pressure (a slow encode slows the sender, it does not pile up here) and a box larger than
`max_box` stops the feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clipcast.adapters.media.ffmpeg import STDERR_TAIL_BYTES, dying_with_parent, summarize
from clipcast.live.fragments import (
    BadMedia,
    BoxSplitter,
    Fragment,
    Init,
    parse_fragment,
    parse_init,
)

_READ = 256 * 1024
# ffmpeg's command line, given the file descriptors its renditions are written to.
ArgvFor = Callable[[Sequence[int]], list[str]]


@dataclass(frozen=True, slots=True)
class Output:
    """Something a rendition's pipe produced: its init segment, a fragment, or its end."""

    rung: int
    init: Init | None = None
    fragment: Fragment | None = None
    error: str | None = None  # the output could not be read (set with the end)

    @property
    def ended(self) -> bool:
        return self.init is None and self.fragment is None


class SegmenterGone(Exception):
    """ffmpeg is no longer reading the feed."""


class Segmenter:
    def __init__(self, proc: asyncio.subprocess.Process, reads: list[int], max_box: int) -> None:
        self._proc = proc
        # Bounded: a slow publisher stops the readers, ffmpeg blocks on its pipes and stops
        # reading the feed, and the sender is slowed down by TCP, with nothing piling up here.
        self.outputs: asyncio.Queue[Output] = asyncio.Queue(maxsize=32)
        self._tail = bytearray()
        self._readers = [_PipeReader(fd) for fd in reads]
        self._tasks = [
            asyncio.create_task(self._read_rung(i, reader, max_box))
            for i, reader in enumerate(self._readers)
        ]
        self._tasks.append(asyncio.create_task(self._drain_stderr()))

    @classmethod
    async def start(cls, argv_for: ArgvFor, rungs: int, max_box: int) -> Segmenter:
        """Start ffmpeg with one output pipe per rung; `argv_for(write_fds)` is its command."""
        pipes = [os.pipe() for _ in range(rungs)]
        writes = [w for _, w in pipes]
        try:
            proc = await asyncio.create_subprocess_exec(
                *dying_with_parent(argv_for(writes)),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                pass_fds=writes,
                start_new_session=True,
            )
        except BaseException:
            for r, w in pipes:
                os.close(r)
                os.close(w)
            raise
        for w in writes:
            os.close(w)  # ffmpeg holds them now: its exit is our end of file
        return cls(proc, [r for r, _ in pipes], max_box)

    async def write(self, data: bytes) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(data)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise SegmenterGone(self.reason()) from None

    async def close_input(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            stdin.close()
            await stdin.wait_closed()

    def reason(self) -> str:
        """Why ffmpeg failed, in one line without paths or addresses."""
        return summarize(self._tail.decode(errors="replace")) or "the feed could not be decoded"

    async def stop(self) -> int | None:
        """Kill ffmpeg if it still runs, reap it, and stop reading; its exit status."""
        if self._proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        code = await self._proc.wait()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for reader in self._readers:  # one whose task never started
            reader.close()
        return code

    async def wait(self) -> int:
        return await self._proc.wait()

    async def _read_rung(self, rung: int, reader: _PipeReader, max_box: int) -> None:
        splitter, error = BoxSplitter(max_box), None
        state = _RungState()
        try:
            while data := await reader.read(_READ):
                for box in splitter.feed(data):
                    out = state.take(rung, box.kind, box.data)
                    if out is not None:
                        await self.outputs.put(out)
        except (BadMedia, struct.error, ValueError, IndexError) as exc:
            error = str(exc)
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        finally:
            reader.close()
        await self.outputs.put(Output(rung=rung, error=error))

    async def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        while chunk := await self._proc.stderr.read(65536):
            self._tail += chunk
            del self._tail[:-STDERR_TAIL_BYTES]


@dataclass
class _RungState:
    """Pairs ftyp with moov and moof with its mdat, as one rendition's boxes arrive."""

    ftyp: bytes = b""
    init: Init | None = None
    moof: bytes | None = None

    def take(self, rung: int, kind: bytes, data: bytes) -> Output | None:
        if kind == b"ftyp":
            self.ftyp = data
        elif kind == b"moov":
            self.init = parse_init(self.ftyp, data)
            return Output(rung=rung, init=self.init)
        elif kind == b"moof":
            self.moof = data
        elif kind == b"mdat":
            if self.init is None or self.moof is None:
                raise BadMedia("media data before its headers")
            fragment = parse_fragment(self.moof, data, self.init)
            self.moof = None
            return Output(rung=rung, fragment=fragment)
        return None  # styp, sidx, mfra, free: nothing a clip needs


class _PipeReader:
    """Reads a pipe we own with the loop's readiness callbacks, and closes it once.

    Not `connect_read_pipe`: under uvloop (which `serve` runs on) its transport closes the
    file descriptor itself and the file object wrapping it closes it again later, which
    closed whatever file another thread had just opened under the same number."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self._fd: int | None = fd

    async def read(self, size: int) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        loop = asyncio.get_running_loop()
        while self._fd is not None:
            try:
                return os.read(self._fd, size)
            except BlockingIOError:
                ready: asyncio.Future[None] = loop.create_future()
                loop.add_reader(self._fd, _settle, ready)
                try:
                    await ready
                finally:
                    if self._fd is not None:
                        loop.remove_reader(self._fd)
        return b""

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _settle(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
