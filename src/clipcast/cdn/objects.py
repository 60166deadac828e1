"""Media bytes for the CDN route, kept in memory up to a budget: playlists and clip documents
answer from memory, and so do hot clips, which uvicorn cannot sendfile.

On local disk each request re-checks the file (one stat, no read), so a rewritten playlist is
seen at once. From S3, objects that never change under their key (clips, init segments,
images) are kept until evicted; playlists and clip documents for `mutable_ttl` seconds.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from clipcast.adapters.storage.base import ObjectMissing, ObjectStorage
from clipcast.cdn.caching import is_mutable

_NO_FILE = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


@runtime_checkable
class LocalFiles(Protocol):
    """Storage whose objects are plain files (the local adapter)."""

    def local_path(self, key: str) -> Path: ...


@dataclass(slots=True)
class Found:
    size: int
    etag: str
    data: bytes | None  # None: too large to keep; stream it with `stream`
    stamp: tuple[int, int, int] | float  # local: (inode, mtime_ns, size); S3: kept until
    path: str = ""  # local: the file
    # The response headers, built once per way of serving it (public or signed).
    headers: dict[object, list[tuple[bytes, bytes]]] = field(default_factory=dict)


class ObjectCache:
    def __init__(
        self,
        storage: ObjectStorage,
        *,
        budget_bytes: int = 256 * 1024**2,
        max_object_bytes: int = 8 * 1024**2,
        mutable_ttl: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._local = storage if isinstance(storage, LocalFiles) else None
        self._budget, self._max_object = budget_bytes, max_object_bytes
        self._mutable_ttl = mutable_ttl
        self._clock = clock
        self._kept: OrderedDict[str, Found] = OrderedDict()
        self._used = 0

    async def get(self, key: str) -> Found | None:
        """The object (bytes or, when large, its size and ETag), or None when missing."""
        kept = self._kept.get(key)
        if self._local is not None:
            return await self._get_local(key, kept)
        if kept is not None and (not isinstance(kept.stamp, float) or kept.stamp > self._clock()):
            self._kept.move_to_end(key)
            return kept
        return await self._get_remote(key)

    def forget_prefix(self, prefix: str) -> None:
        for key in [k for k in self._kept if k.startswith(prefix)]:
            self._drop(key)

    async def stream(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._storage.read_range(key, start, end):
                yield chunk
        except ObjectMissing:
            return  # deleted mid-response; the client sees a short body and retries

    async def _get_local(self, key: str, kept: Found | None) -> Found | None:
        # A stat of a file the kernel has cached costs microseconds: done on the loop, where
        # a thread hop would cost ten times more. Reads (misses only) go to a thread.
        assert self._local is not None
        path = kept.path if kept is not None else str(self._local.local_path(key))
        try:
            st = os.stat(path)
        except _NO_FILE:
            self._drop(key)
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if kept is not None and kept.stamp == stamp:
            self._kept.move_to_end(key)
            return kept
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        if st.st_size > self._max_object:
            return Found(st.st_size, etag, None, stamp, path)
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
        except _NO_FILE:
            return None
        if len(data) != st.st_size:  # replaced while read: do not keep a torn mix
            return Found(len(data), etag, data, stamp, path)
        return self._keep(key, Found(st.st_size, etag, data, stamp, path))

    async def _get_remote(self, key: str) -> Found | None:
        info = await self._storage.stat(key)
        if info is None:
            self._drop(key)
            return None
        until = self._clock() + self._mutable_ttl if is_mutable(key) else float("inf")
        if info.size > self._max_object:
            return Found(info.size, info.etag, None, until)
        try:
            data = await self._storage.get_bytes(key)
        except ObjectMissing:
            return None
        return self._keep(key, Found(len(data), info.etag, data, until))

    def _keep(self, key: str, found: Found) -> Found:
        self._drop(key)
        self._kept[key] = found
        self._used += found.size
        while self._used > self._budget and self._kept:
            self._drop(next(iter(self._kept)))
        return found

    def _drop(self, key: str) -> None:
        gone = self._kept.pop(key, None)
        if gone is not None:
            self._used -= gone.size
