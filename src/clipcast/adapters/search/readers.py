"""Reader processes for a search node's index: searches run on every core.

A search is mostly Python around tantivy (building the query, reading stored fields,
snippets), and Python holds one lock per process: however many threads search, one core does
that part. `ReaderPool` keeps N processes that each open the same index directory read-only
(tantivy allows any number of readers, and each reloads on the writer's commits) and run a
whole use case (`SearchIndex.run`) per call, so N searches run side by side. Writes, counts
and checks stay with the index in this process, which remains the node's one writer.

Each reader answers one call at a time over its own pipe; a caller waits for an idle reader.
A reader that dies is replaced and the call retried once on the new one (reads change
nothing). A caller that gives up (cancelled) does not take the reader with it: the exchange
finishes in the background before the reader is handed out again, so no answer goes to the
wrong caller.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from clipcast.adapters.search.base import SearchDoc, SearchPage, SearchQuery, T
from clipcast.adapters.search.tantivy import TantivyIndex

log = logging.getLogger(__name__)

_STOP_SECONDS = 5.0


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
        self._idle: asyncio.Queue[_Reader] | None = None
        self._all: list[_Reader] = []

    # Reads: in the readers.

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        idle = self._started()
        reader = await idle.get()
        # Shielded: a cancelled caller leaves the exchange to finish and the reader to return.
        exchange = asyncio.ensure_future(self._exchange(reader, fn, args))
        ok, value = await asyncio.shield(exchange)
        if not ok:
            raise value
        result: T = value
        return result

    async def start(self) -> None:
        """Start every reader and wait until each has opened the index (else the first
        searches wait for interpreters to start)."""
        for _ in range(self._size):  # idle readers go round in turn
            await self.run(_ping)

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
        readers, self._all, self._idle = self._all, [], None
        await asyncio.gather(*(asyncio.to_thread(r.stop) for r in readers))
        await self._index.close()

    def pids(self) -> list[int]:
        return [r.process.pid for r in self._all if r.process.pid is not None]

    # The processes.

    def _started(self) -> asyncio.Queue[_Reader]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self._size):
                self._idle.put_nowait(self._spawn())
        return self._idle

    def _spawn(self) -> _Reader:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve, args=(theirs, str(self._directory)), daemon=True, name="search-reader"
        )
        process.start()
        theirs.close()
        reader = _Reader(process, ours)
        self._all.append(reader)
        return reader

    def _replace(self, dead: _Reader) -> _Reader:
        log.warning("search reader %s ended (exit code %s); starting another",
                    dead.process.pid, dead.process.exitcode)  # fmt: skip
        if dead in self._all:
            self._all.remove(dead)
        dead.stop()
        return self._spawn()

    async def _exchange(
        self, reader: _Reader, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> tuple[bool, Any]:
        idle = self._idle
        try:
            try:
                return await _ask(reader, (fn, args))
            except (EOFError, OSError):
                if self._idle is None:
                    raise  # closed meanwhile: nothing to retry on
                reader = self._replace(reader)
            try:
                return await _ask(reader, (fn, args))
            except (EOFError, OSError):
                raise ReaderDied("a search reader ended while answering") from None
        finally:
            if idle is not None and idle is self._idle:
                idle.put_nowait(reader)  # a dead one is replaced by the next call it gets
            elif reader in self._all:  # the pool was closed meanwhile
                self._all.remove(reader)
                await asyncio.to_thread(reader.stop)


async def _ask(reader: _Reader, message: tuple[Any, ...]) -> tuple[bool, Any]:
    """Send one call and wait, without blocking the event loop, until its answer arrives."""
    loop = asyncio.get_running_loop()
    arrived: asyncio.Future[None] = loop.create_future()
    fd = reader.conn.fileno()

    def readable() -> None:
        if not arrived.done():
            arrived.set_result(None)

    loop.add_reader(fd, readable)
    try:
        reader.conn.send(message)
        await arrived
    finally:
        loop.remove_reader(fd)
    reply: tuple[bool, Any] = reader.conn.recv()
    return reply


def _ping(_searcher: Any) -> bool:
    return True


def _search(searcher: Any, query: SearchQuery) -> SearchPage:
    page: SearchPage = searcher.search(query)
    return page


def _suggest(searcher: Any, query: SearchQuery) -> list[str]:
    titles: list[str] = searcher.suggest(query)
    return titles
