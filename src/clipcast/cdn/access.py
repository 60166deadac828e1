"""Who may fetch a video's media, held in memory per video (visibility and key version), so a
media request reads no SQL; entries are forgotten when an event says the video changed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from clipcast.cdn.paths import MediaPath
from clipcast.cdn.signing import check_parts


@dataclass(frozen=True, slots=True)
class MediaAccess:
    public: bool
    key_version: int


class Grant(StrEnum):
    PUBLIC = "public"  # anyone; shared caches may keep it
    SIGNED = "signed"  # under a valid playback token; only the viewer's own cache may keep it


def grant(access: MediaAccess | None, path: MediaPath, secret: bytes, now: int) -> Grant | None:
    """May this request be served, and how; None: refuse (answered 404, like a missing video)."""
    if access is None:
        return None
    if not path.signed:
        return Grant.PUBLIC if access.public else None
    token = check_parts(secret, path.mac, path.expires, path.key_version, path.video, now)
    if token is None or token.key_version != access.key_version:
        return None
    return Grant.SIGNED


Loader = Callable[[uuid.UUID], Awaitable[MediaAccess | None]]


class AccessCache:
    """Per-video access, loaded once and kept until `forget` (or `ttl` seconds, a safety net
    should an event be lost); a missing video is remembered only `missing_ttl` seconds, as
    no event announces a new video before its media exists.

    A load that overlaps a `forget` is answered but not kept: it may have read the row from
    before the change the `forget` announced.
    """

    def __init__(
        self,
        load: Loader,
        *,
        ttl: float = 60.0,
        missing_ttl: float = 1.0,
        max_entries: int = 200_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl, self._missing_ttl = ttl, missing_ttl
        self._max = max_entries
        self._clock = clock
        # Keyed by the id as the path spells it: no UUID to build on the hot path.
        self._entries: dict[str, tuple[MediaAccess | None, float]] = {}
        self._loading: dict[str, asyncio.Future[MediaAccess | None]] = {}
        self._generation = 0

    async def get(self, video: str) -> MediaAccess | None:
        """`video`: a lower-case hyphenated id, as cdn.paths reads it."""
        entry = self._entries.get(video)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        pending = self._loading.get(video)
        if pending is None:  # one load for a burst of requests
            pending = asyncio.ensure_future(self._load_and_keep(video))
            self._loading[video] = pending
            pending.add_done_callback(lambda done: self._done(video, done))
        return await asyncio.shield(pending)

    def forget(self, video_id: uuid.UUID) -> None:
        self._generation += 1
        self._entries.pop(str(video_id), None)
        self._loading.pop(str(video_id), None)  # later requests load afresh

    def forget_all(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._loading.clear()

    async def _load_and_keep(self, video: str) -> MediaAccess | None:
        generation = self._generation
        access = await self._load(uuid.UUID(video))
        if generation == self._generation:
            if len(self._entries) >= self._max:
                del self._entries[next(iter(self._entries))]  # the oldest filled
            ttl = self._ttl if access is not None else self._missing_ttl
            self._entries[video] = (access, self._clock() + ttl)
        return access

    def _done(self, video: str, done: asyncio.Future[MediaAccess | None]) -> None:
        if self._loading.get(video) is done:
            del self._loading[video]
