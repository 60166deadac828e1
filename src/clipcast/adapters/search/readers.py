"""Reader processes for a search node's index: searches run on every core.

A search is mostly Python around tantivy (building the query, reading stored fields,
snippets), and Python holds one lock per process: however many threads search, one core does
that part. `ReaderPool` keeps N processes that each open the same index directory read-only
(tantivy allows any number of readers, and each reloads on the writer's commits) and run a
whole use case (`SearchIndex.run`) per call, so N searches run side by side. Writes, counts
and checks stay with the index in this process, which remains the node's one writer.

Calls go to the reader with the fewest in hand, up to `DEPTH` each, over its own pipe; a
reader answers in order, so answers are matched to callers first in, first out, and a busy
reader goes from one call to the next without sleeping (waking a process costs more than
passing it a message: measured, a third of a search's CPU on this machine). A caller that
gives up (cancelled) leaves its place in the queue; its answer, when it comes, is dropped. A
reader that dies is replaced and its calls retried once on another (reads change nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from clipcast.adapters.search.base import SearchDoc, SearchPage, SearchQuery, T
from clipcast.adapters.search.tantivy import TantivyIndex

log = logging.getLogger(__name__)

_STOP_SECONDS = 5.0
# Calls a reader holds at once: enough that it never waits for the next, few enough that a
# slow search delays only a handful behind it.
DEPTH = 4


class ReaderDied(RuntimeError):
    """A reader process ended while answering (twice in a row for one call)."""


def _serve(conn: multiprocessing.connection.Connection, directory: str) -> None:
    """A reader's life: answer calls until the pipe closes (the parent stopped or died)."""
    searcher = TantivyIndex(Path(directory)).searcher()
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            reply: tuple[bool, Any] = (True, fn(searcher, *args))
        except Exception as exc:  # noqa: BLE001 - the caller's to handle, as if run in-process
            reply = (False, exc)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - the answer does not pickle: say so, do not die
            conn.send((False, RuntimeError(f"search reader could not send its answer: {exc!r}")))


@dataclass(eq=False)
class _Reader:
    process: BaseProcess
    conn: multiprocessing.connection.Connection
    waiting: deque[asyncio.Future[tuple[bool, Any]]] = field(default_factory=deque)
    dead: bool = False

    def stop(self) -> None:
        self.conn.close()  # the reader's recv() sees EOF and it returns
        self.process.join(_STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class ReaderPool:
    """A `SearchIndex`: `index` for writes, `processes` readers for searches."""

    def __init__(self, index: TantivyIndex, directory: Path, processes: int) -> None:
        if processes < 1:
            raise ValueError("a reader pool needs at least one process")
        self._index = index
        self._directory = directory
        self._size = processes
        # spawn: a fresh interpreter, not a fork of a process with threads and an event loop.
        self._context = multiprocessing.get_context("spawn")
        self._readers: list[_Reader] = []
        self._room: asyncio.Semaphore | None = None

    # Reads: in the readers.

    async def start(self) -> None:
        """Start every reader and wait until each has opened the index (else the first
        searches wait for interpreters to start)."""
        self._started()
        await asyncio.gather(*(self._call(r, _ping, ()) for r in list(self._readers)))

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._started():
            # Each dead reader met is replaced at once; more than all of them dying during
            # one call is a reader that cannot live (a broken index): give up.
            for attempt in range(self._size + 1):
                reader = min(self._readers, key=lambda r: len(r.waiting))
                try:
                    ok, value = await self._call(reader, fn, args)
                    break
                except ReaderDied:
                    if attempt == self._size or self._room is None:
                        raise
        if not ok:
            raise value
        result: T = value
        return result

    async def search(self, query: SearchQuery) -> SearchPage:
        return await self.run(_search, query)

    async def suggest(self, query: SearchQuery) -> list[str]:
        return await self.run(_suggest, query)

    # Writes and housekeeping: the index in this process.

    async def upsert(self, docs: Sequence[SearchDoc], *, commit: bool = True) -> None:
        await self._index.upsert(docs, commit=commit)

    async def delete(self, video_ids: Sequence[uuid.UUID], *, commit: bool = True) -> None:
        await self._index.delete(video_ids, commit=commit)

    async def clear(self, *, commit: bool = True) -> None:
        await self._index.clear(commit=commit)

    async def commit(self) -> None:
        await self._index.commit()

    async def rollback(self) -> None:
        await self._index.rollback()

    async def count(self) -> int:
        return await self._index.count()

    async def check(self) -> None:
        await self._index.check()

    async def close(self) -> None:
        readers, self._readers, self._room = self._readers, [], None
        for reader in readers:
            self._bury(reader, "the search index was closed")
        await asyncio.gather(*(asyncio.to_thread(r.stop) for r in readers))
        await self._index.close()

    def pids(self) -> list[int]:
        return [r.process.pid for r in self._readers if r.process.pid is not None]

    # The processes.

    def _started(self) -> asyncio.Semaphore:
        if self._room is None:
            self._room = asyncio.Semaphore(self._size * DEPTH)
            for _ in range(self._size):
                self._spawn()
        return self._room

    def _spawn(self) -> _Reader:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve, args=(theirs, str(self._directory)), daemon=True, name="search-reader"
        )
        process.start()
        theirs.close()
        reader = _Reader(process, ours)
        asyncio.get_running_loop().add_reader(ours.fileno(), self._answers, reader)
        self._readers.append(reader)
        return reader

    async def _call(
        self, reader: _Reader, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[bool, Any]:
        answer: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        reader.waiting.append(answer)
        try:
            reader.conn.send((fn, args))
        except (OSError, ValueError):
            self._replace(reader)
        return await answer

    def _answers(self, reader: _Reader) -> None:
        """The reader's pipe is readable: hand every answer there to its caller, in order."""
        try:
            while reader.conn.poll():
                reply: tuple[bool, Any] = reader.conn.recv()
                answer = reader.waiting.popleft()
                if not answer.done():  # else its caller gave up
                    answer.set_result(reply)
        except (EOFError, OSError, IndexError):
            self._replace(reader)

    def _replace(self, reader: _Reader) -> None:
        if reader.dead or reader not in self._readers:
            return
        log.warning("search reader %s ended (exit code %s); starting another",
                    reader.process.pid, reader.process.exitcode)  # fmt: skip
        self._readers.remove(reader)
        self._bury(reader, "a search reader ended while answering")
        # Reaped in a thread: `stop` may wait for the process, and this runs on the event loop.
        asyncio.get_running_loop().run_in_executor(None, reader.stop)
        self._spawn()

    def _bury(self, reader: _Reader, why: str) -> None:
        reader.dead = True
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(reader.conn.fileno())
        while reader.waiting:
            answer = reader.waiting.popleft()
            if not answer.done():
                answer.set_exception(ReaderDied(why))


def _ping(_searcher: Any) -> bool:
    return True


def _search(searcher: Any, query: SearchQuery) -> SearchPage:
    page: SearchPage = searcher.search(query)
    return page


def _suggest(searcher: Any, query: SearchQuery) -> list[str]:
    titles: list[str] = searcher.suggest(query)
    return titles
