"""The CDN route's memory of who may fetch a video's media, and the rule it applies."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from clipcast.cdn.access import AccessCache, Grant, MediaAccess, grant
from clipcast.cdn.paths import MediaPath, parse_media_path
from clipcast.cdn.signing import sign_playback

VIDEO = uuid.UUID("11111111-1111-4111-8111-111111111111")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Table:
    """A stand-in for SQL: rows, and how many times they were read."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, MediaAccess] = {VIDEO: MediaAccess(True, 0)}
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.reading = asyncio.Event()

    async def load(self, video_id: uuid.UUID) -> MediaAccess | None:
        self.reads += 1
        row = self.rows.get(video_id)
        self.reading.set()
        if self.gate is not None:
            await self.gate.wait()
        return row


async def test_a_burst_of_requests_reads_the_row_once_and_then_never() -> None:
    table = Table()
    cache = AccessCache(table.load)
    got = await asyncio.gather(*(cache.get(str(VIDEO)) for _ in range(50)))
    assert set(got) == {MediaAccess(True, 0)}
    await cache.get(str(VIDEO))
    assert table.reads == 1


async def test_forget_makes_the_next_request_read_the_change() -> None:
    table = Table()
    cache = AccessCache(table.load)
    await cache.get(str(VIDEO))
    table.rows[VIDEO] = MediaAccess(False, 1)
    assert await cache.get(str(VIDEO)) == MediaAccess(True, 0)  # not told yet
    cache.forget(VIDEO)
    assert await cache.get(str(VIDEO)) == MediaAccess(False, 1)


async def test_a_read_that_overlaps_a_change_is_not_kept() -> None:
    table = Table()
    table.gate = asyncio.Event()
    cache = AccessCache(table.load)
    stale = asyncio.create_task(cache.get(str(VIDEO)))
    await table.reading.wait()
    table.rows[VIDEO] = MediaAccess(False, 1)  # committed while the read was out
    cache.forget(VIDEO)
    table.gate.set()
    assert await stale == MediaAccess(True, 0)
    assert await cache.get(str(VIDEO)) == MediaAccess(False, 1)


async def test_a_missing_video_is_remembered_only_briefly() -> None:
    table, now = Table(), [0.0]
    other = uuid.uuid4()
    cache = AccessCache(table.load, missing_ttl=1.0, clock=lambda: now[0])
    assert await cache.get(str(other)) is None
    table.rows[other] = MediaAccess(True, 0)  # created: no event says so
    now[0] = 2.0
    assert await cache.get(str(other)) == MediaAccess(True, 0)


def _signed(key_version: int, video: uuid.UUID = VIDEO) -> MediaPath:
    token = sign_playback(b"k", video, NOW, 60, key_version)
    path = parse_media_path(f"/cdn/s/{token}/videos/{VIDEO}/master.m3u8")
    assert path is not None
    return path


def test_public_media_needs_a_public_video_and_signed_media_the_current_key_version() -> None:
    now = int(NOW.timestamp())
    public = parse_media_path(f"/cdn/videos/{VIDEO}/720p/000001.m4s")
    assert public is not None and public.key == f"videos/{VIDEO}/720p/000001.m4s"
    assert grant(MediaAccess(True, 0), public, b"k", now) is Grant.PUBLIC
    assert grant(MediaAccess(False, 0), public, b"k", now) is None
    assert grant(None, public, b"k", now) is None
    assert grant(MediaAccess(False, 2), _signed(2), b"k", now) is Grant.SIGNED
    assert grant(MediaAccess(False, 3), _signed(2), b"k", now) is None
    assert grant(MediaAccess(False, 2), _signed(2), b"k", now + 61) is None
    assert grant(MediaAccess(False, 0), _signed(0, uuid.uuid4()), b"k", now) is None


def test_paths_that_name_no_video_media_are_refused() -> None:
    for path in (
        "/cdn/videos/not-a-uuid/x.m4s",
        "/cdn/videos/AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE/x.m4s",
        f"/cdn/videos/{VIDEO}/../../secret.key",
        f"/cdn/videos/{VIDEO}/Master.M3U8",
        f"/cdn/videos/{VIDEO}/",
        f"/cdn/s/abc/12/videos/{VIDEO}/x.m4s",
        f"/cdn/x/videos/{VIDEO}/x.m4s",
    ):
        assert parse_media_path(path) is None, path
