"""A feed through the whole ingest (probe, ffmpeg segmenter, cutting, publishing) into storage
and SQL, on SQLite and PostgreSQL; then the end, which makes the recording a video."""

from __future__ import annotations

import dataclasses
import itertools
import json
import posixpath
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from sqlalchemy import select

from clipcast.adapters.storage.base import ObjectMissing
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from clipcast.live.finishing import NOTHING_RECEIVED, end_stream, mark_ended
from clipcast.live.hub import LiveHub
from clipcast.live.ingest import run_feed
from clipcast.live.keys import document_key
from clipcast.live.sweeper import sweep_once
from clipcast.live.wiring import ingest_config, publish_deps
from clipcast.outbox.models import OutboxEvent
from clipcast.videos.models import Clip, Rendition, Video
from tests.integration.conftest import auth
from tests.integration.live.conftest import chunks, create_stream

pytestmark = pytest.mark.slow


async def feed(
    adapters: Adapters, stream_id: str, path: Path, **config: Any
) -> tuple[int, list[dict[str, Any]]]:
    messages: list[dict[str, Any]] = []

    async def notify(message: dict[str, Any]) -> None:
        messages.append(message)

    count = await run_feed(
        deps=publish_deps(
            sessions=adapters.sessions, storage=adapters.storage, hub=LiveHub(), clip_seconds=2
        ),
        config=dataclasses.replace(ingest_config(adapters.settings), **config),
        video_id=uuid.UUID(stream_id),
        source=chunks(path),
        notify=notify,
    )
    return count, messages


async def document(adapters: Adapters, stream_id: str, index: int) -> dict[str, Any]:
    key = document_key(uuid.UUID(stream_id), index)
    loaded: dict[str, Any] = json.loads(await adapters.storage.get_bytes(key))
    return loaded


async def test_an_h264_feed_is_copied_into_clips_each_pointing_to_the_next(
    adapters: Adapters, stream: dict[str, Any], h264_feed: Path
) -> None:
    count, messages = await feed(adapters, stream["id"], h264_feed)
    assert count == 4
    assert messages[0] == {"type": "ready", "mode": "copy", "renditions": 1}
    docs = [await document(adapters, stream["id"], i) for i in range(count)]
    assert [d["duration"] for d in docs] == pytest.approx([2, 2, 2, 1], abs=0.05)
    for doc, after in itertools.pairwise(docs):
        assert doc["next"]["url"] == f"{after['index']:06d}.json"
        assert after["media_time"] == pytest.approx(doc["media_time"] + doc["duration"])
        assert after["program_date_time"] > doc["program_date_time"]
    for doc in docs:
        (rendition,) = doc["renditions"]
        assert rendition["codecs"].startswith("avc1.") and rendition["codecs"].endswith("mp4a.40.2")
        key = posixpath.normpath(f"videos/{stream['id']}/live/{rendition['clip']}")
        clip = await adapters.storage.get_bytes(key)
        assert clip[4:8] == b"moof" and len(clip) == rendition["bytes"]
    with pytest.raises(ObjectMissing):  # the next one is not published: its URL is a 404
        await document(adapters, stream["id"], count)


async def test_clip_rows_name_the_next_clips_and_the_video_plays(
    adapters: Adapters, client: httpx.AsyncClient, stream: dict[str, Any], h264_feed: Path
) -> None:
    await feed(adapters, stream["id"], h264_feed)
    video_id = uuid.UUID(stream["id"])
    async with adapters.sessions() as session:
        clips = list(await session.scalars(select(Clip).where(Clip.video_id == video_id)))
        video = await session.get(Video, video_id)
    assert [c.index for c in sorted(clips, key=lambda c: c.index)] == [0, 1, 2, 3]
    first = min(clips, key=lambda c: c.index)
    assert len(first.next_ids) == 3
    assert video is not None and video.playable and video.state == "live"
    body = (await client.get(f"/api/v1/videos/{video_id}")).json()
    playlist = await client.get(body["playback"]["hls"].replace("master", "180p/index"))
    assert playlist.status_code == 200
    assert playlist.text.count("#EXT-X-PROGRAM-DATE-TIME:") == 4
    assert "#EXT-X-ENDLIST" not in playlist.text
    current = (await client.get(f"/api/v1/streams/{video_id}/current")).json()
    assert current["index"] == 3
    assert current["document"].endswith(f"/cdn/videos/{video_id}/live/000003.json")
    assert (await client.get(current["document"])).json()["index"] == 3


async def test_a_browser_webm_feed_is_encoded_to_a_ladder_cut_alike(
    adapters: Adapters, stream: dict[str, Any], vp8_feed: Path
) -> None:
    count, messages = await feed(adapters, stream["id"], vp8_feed, ladder=[360, 240])
    assert messages[0]["mode"] == "transcode"
    assert messages[0]["renditions"] == 2
    assert count == 3
    for index in range(count):
        doc = await document(adapters, stream["id"], index)
        assert [r["resolution"] for r in doc["renditions"]] == [240, 360]
        assert all(r["codecs"].startswith("avc1.64") for r in doc["renditions"])
    async with adapters.sessions() as session:
        durations = await session.execute(
            select(Clip.resolution, Clip.index, Clip.duration).where(
                Clip.video_id == uuid.UUID(stream["id"])
            )
        )
        by_index: dict[int, set[float]] = {}
        for _res, index, duration in durations:
            by_index.setdefault(index, set()).add(round(duration, 3))
    assert all(len(d) == 1 for d in by_index.values())  # every rung cut at the same instants


async def test_a_second_feed_continues_the_stream_after_a_marked_gap(
    adapters: Adapters, stream: dict[str, Any], h264_feed: Path
) -> None:
    await feed(adapters, stream["id"], h264_feed)
    count, _ = await feed(adapters, stream["id"], h264_feed)
    assert count == 4
    before = await document(adapters, stream["id"], 3)
    after = await document(adapters, stream["id"], 4)
    assert before["next"]["url"] == "000004.json"
    assert after["discontinuity"] is True
    assert after["discontinuity_sequence"] == 1
    assert after["media_time"] == pytest.approx(7.0, abs=0.05)
    assert after["renditions"][0]["init"].endswith("/init.mp4")  # same settings, same init
    later = await document(adapters, stream["id"], 5)
    assert later["discontinuity"] is False
    assert later["discontinuity_sequence"] == 1


async def test_the_end_makes_the_recording_a_video(
    adapters: Adapters, client: httpx.AsyncClient, stream: dict[str, Any], h264_feed: Path
) -> None:
    await feed(adapters, stream["id"], h264_feed)
    await feed(adapters, stream["id"], h264_feed)
    video_id = uuid.UUID(stream["id"])
    state = await end_stream(
        sessions=adapters.sessions,
        storage=adapters.storage,
        hub=LiveHub(),
        video_id=video_id,
        clip_seconds=2,
    )
    assert state == "ready"
    body = (await client.get(f"/api/v1/videos/{video_id}")).json()
    assert body["state"] == "ready"
    assert body["duration"] == pytest.approx(14.0, abs=0.1)
    text = (await client.get(body["playback"]["hls"].replace("master", "180p/index"))).text
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert text.count("#EXTINF:") == 8 and text.count("#EXT-X-DISCONTINUITY\n") == 1
    end = await document(adapters, stream["id"], 8)  # where the last clip pointed
    assert end["ended"] is True and end["vod"] == "../master.m3u8"
    async with adapters.sessions() as session:
        rendition = await session.get(Rendition, (video_id, 180))
        last = await session.get(Clip, (video_id, 180, 7))
        topics = list(await session.scalars(select(OutboxEvent.topic)))
    assert rendition is not None and rendition.complete
    assert last is not None and last.next_ids == []
    assert "video.ready" in topics  # thumbnails and search follow, as for an upload
    current = (await client.get(f"/api/v1/streams/{video_id}/current")).json()
    assert current["vod"] == body["playback"]["hls"]


async def test_a_stream_ended_before_any_clip_fails_with_a_reason(
    adapters: Adapters, client: httpx.AsyncClient, stream: dict[str, Any]
) -> None:
    state = await end_stream(
        sessions=adapters.sessions,
        storage=adapters.storage,
        hub=LiveHub(),
        video_id=uuid.UUID(stream["id"]),
        clip_seconds=2,
    )
    assert state == "failed"
    body = (await client.get(f"/api/v1/videos/{stream['id']}")).json()
    assert (body["state"], body["failure_reason"]) == ("failed", NOTHING_RECEIVED)
    assert utcnow()  # the end marker stands where a waiting viewer looks
    assert (await document(adapters, stream["id"], 0))["ended"] is True


async def test_a_stream_nobody_feeds_any_more_ends_and_becomes_a_video(
    adapters: Adapters, client: httpx.AsyncClient, stream: dict[str, Any], h264_feed: Path
) -> None:
    await feed(adapters, stream["id"], h264_feed)
    sweep: dict[str, Any] = {
        "sessions": adapters.sessions,
        "storage": adapters.storage,
        "clip_seconds": 2,
    }
    quiet = timedelta(seconds=300)
    assert await sweep_once(**sweep, end_after=quiet, now=utcnow()) == 0  # not yet
    later = utcnow() + quiet + timedelta(seconds=1)
    assert await sweep_once(**sweep, end_after=quiet, now=later) == 1
    body = (await client.get(f"/api/v1/videos/{stream['id']}")).json()
    assert body["state"] == "ready"
    assert await sweep_once(**sweep, end_after=quiet, now=later) == 0  # settled: left alone


async def test_an_end_a_crash_interrupted_is_finished_by_the_sweeper(
    adapters: Adapters, client: httpx.AsyncClient, stream: dict[str, Any], h264_feed: Path
) -> None:
    await feed(adapters, stream["id"], h264_feed)
    await mark_ended(adapters.sessions, uuid.UUID(stream["id"]), utcnow())  # then the crash
    assert (await client.get(f"/api/v1/videos/{stream['id']}")).json()["state"] == "live"
    swept = await sweep_once(
        sessions=adapters.sessions,
        storage=adapters.storage,
        clip_seconds=2,
        end_after=timedelta(seconds=300),
        now=utcnow(),
    )
    assert swept == 1
    assert (await client.get(f"/api/v1/videos/{stream['id']}")).json()["state"] == "ready"


async def test_a_private_stream_is_walked_under_its_signed_root_and_by_nobody_else(
    adapters: Adapters, client: httpx.AsyncClient, alice: str, h264_feed: Path
) -> None:
    private = await create_stream(client, alice, visibility="private")
    await feed(adapters, private["id"], h264_feed)
    current = await client.get(f"/api/v1/streams/{private['id']}/current", headers=auth(alice))
    signed = current.json()["document"]
    assert "/cdn/s/" in signed
    doc = await client.get(signed)
    assert doc.status_code == 200
    assert doc.headers["cache-control"].startswith("private")
    clip = await client.get(urljoin(signed, doc.json()["renditions"][0]["clip"]))
    assert clip.status_code == 200  # the token in the path carries over to relative URLs
    plain = f"/cdn/videos/{private['id']}/live/000000.json"
    assert (await client.get(plain)).status_code == 404  # no token: nothing
