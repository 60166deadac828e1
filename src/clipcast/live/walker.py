"""A viewer in Python: asks `current` once, then walks clip documents and clips on the CDN as
the web player does (the next document at its expected time, a quick retry when it is a
little late, `current` again after a network loss). A client of the service, for checking a
stream from a terminal, for tests and for benchmarks."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx

RETRY_SECONDS = 0.1  # a document not there yet: ask again this soon, then less and less often
RETRY_MAX_SECONDS = 1.0
PATIENCE_CLIPS = 4


class NetworkDown(Exception):
    """The request never got an answer (no route, refused, reset, timed out)."""


# GET a URL: (status, body). Raises NetworkDown when no answer came.
Get = Callable[[str], Awaitable[tuple[int, bytes]]]


def httpx_get(client: httpx.AsyncClient) -> Get:
    async def get(url: str) -> tuple[int, bytes]:
        try:
            response = await client.get(url)
        except httpx.TransportError as exc:
            raise NetworkDown(str(exc)) from exc
        return response.status_code, response.content

    return get


@dataclass(frozen=True)
class Seen:
    """One clip as a viewer got it."""

    index: int
    media_time: float
    duration: float
    program_date_time: datetime
    discontinuity: bool
    clip_bytes: int
    arrived: float  # time.time() when its clip was in hand
    jumped: bool  # the first clip after asking `current` (a join or a reconnect)


@dataclass
class Walk:
    seen: list[Seen] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    current_calls: int = 0
    recoveries: int = 0


class Walker:
    def __init__(self, get: Get | httpx.AsyncClient, current_url: str) -> None:
        self._get = httpx_get(get) if isinstance(get, httpx.AsyncClient) else get
        self._current_url = current_url
        self.walk = Walk()
        self._skew: float | None = None  # local clock minus the server's (smallest delay seen)

    async def run(self, stop: Callable[[Walk], bool] = lambda _w: False) -> Walk:
        """Walk until the stream ends or `stop(walk)` says enough."""
        url, jumped = await self._current(), True
        while not stop(self.walk):
            try:
                doc = await self._document(url)
                if doc is None:
                    url, jumped = await self._current(), True
                    continue
                if doc["ended"]:
                    self.walk.ended = doc
                    return self.walk
                await self._clip(doc, url, jumped)
            except NetworkDown:
                self.walk.recoveries += 1
                url, jumped = await self._current(), True
                continue
            jumped = False
            url = urljoin(url, doc["next"]["url"])
            await self._until(_parse(doc["next"]["expected_at"]))
        return self.walk

    async def _current(self) -> str:
        wait = 0.25
        while True:
            try:
                status, data = await self._get(self._current_url)
            except NetworkDown:
                await asyncio.sleep(wait)
                wait = min(wait * 2, 2.0)
                continue
            if status != 200:
                raise RuntimeError(f"current answered {status}")
            body = json.loads(data)
            self.walk.current_calls += 1
            self._observe(time.time(), _parse(body["server_time"]))
            return str(body["document"])

    async def _document(self, url: str) -> dict[str, Any] | None:
        give_up = time.monotonic() + PATIENCE_CLIPS * 2
        wait = RETRY_SECONDS
        while time.monotonic() < give_up:
            status, data = await self._get(url)
            if status == 200:
                doc: dict[str, Any] = json.loads(data)
                self._observe(time.time(), _parse(doc.get("published_at") or doc["ended_at"]))
                return doc
            if status != 404:
                raise NetworkDown(f"{url} answered {status}")
            # Many viewers ask at the same instant: backing off (with jitter) keeps a late
            # document from turning into a storm of requests that makes it later still.
            await asyncio.sleep(wait * random.uniform(0.8, 1.2))  # noqa: S311 - not a secret
            wait = min(wait * 1.5, RETRY_MAX_SECONDS)
        return None

    async def _clip(self, doc: dict[str, Any], url: str, jumped: bool) -> None:
        rendition = min(doc["renditions"], key=lambda r: r["bandwidth"])
        status, data = await self._get(urljoin(url, rendition["clip"]))
        if status != 200:
            raise NetworkDown(f"a clip answered {status}")
        self.walk.seen.append(
            Seen(
                index=doc["index"],
                media_time=doc["media_time"],
                duration=doc["duration"],
                program_date_time=_parse(doc["program_date_time"]),
                discontinuity=doc["discontinuity"],
                clip_bytes=len(data),
                arrived=time.time(),
                jumped=jumped,
            )
        )

    def _observe(self, local: float, server: datetime) -> None:
        delay = local - server.timestamp()
        self._skew = delay if self._skew is None else min(self._skew, delay)

    async def _until(self, server_moment: datetime) -> None:
        wait = server_moment.timestamp() + (self._skew or 0.0) - time.time()
        if wait > 0:
            await asyncio.sleep(wait)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
