"""Bad feeds over a real ingest WebSocket: each is refused with a clear error and a close code,
and nothing else is harmed (the stream goes on taking a good feed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from clipcast.live.push import ingest_url
from tests.e2e.live_feeds import PASSWORD, account, new_stream
from tests.e2e.server import running_server
from tests.media import make_video

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"CLIPCAST_LIVE_IDLE_SECONDS": "2", "CLIPCAST_LIVE_MAX_FRAME_BYTES": str(256 * 1024)}
    with running_server(tmp_path_factory.mktemp("live-bad") / "data", env) as url:
        yield url


@pytest.fixture(scope="module")
def feed_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """7 s of H.264/AAC MPEG-TS with a keyframe every 2 s."""
    path = make_video(
        tmp_path_factory.mktemp("live-bad-media") / "feed.ts",
        seconds=7,
        size="320x180",
        fps=10,
        extra=["-g", "20", "-keyint_min", "20", "-sc_threshold", "0"],
    )
    return path.read_bytes()


@pytest.fixture
async def http(live_url: str) -> Any:
    async with httpx.AsyncClient(base_url=live_url, timeout=15) as client:
        yield client


async def last_words(ws: ClientConnection) -> tuple[list[dict[str, Any]], int | None]:
    """Every message the server sent until it closed, and its close code."""
    messages: list[dict[str, Any]] = []
    try:
        async for message in ws:
            messages.append(json.loads(message))
    except ConnectionClosed:
        pass
    return messages, ws.close_code


async def send_feed(
    url: str, stream_id: str, key: str, *chunks: bytes | str, **options: Any
) -> tuple[list[dict[str, Any]], int | None]:
    headers = {"Authorization": f"Bearer {key}"}
    async with connect(
        ingest_url(url, stream_id), additional_headers=headers, max_size=2**20, **options
    ) as ws:
        for chunk in chunks:
            await ws.send(chunk)
        return await asyncio.wait_for(last_words(ws), 60)


async def test_the_key_of_another_stream_is_refused(http: httpx.AsyncClient, live_url: str) -> None:
    auth = await account(http, "keyholder")
    mine = await new_stream(http, auth, title="Mine")
    other = await new_stream(http, auth, title="Other")
    messages, code = await send_feed(live_url, mine["id"], other["stream_key"], b"x" * 100)
    assert code == 1008
    assert messages[-1]["code"] == "bad_stream_key"
    nothing = (await http.get(f"/api/v1/streams/{mine['id']}/current")).json()
    assert nothing["index"] == 0 and (await http.get(nothing["document"])).status_code == 404


async def test_a_feed_of_garbage_bytes_is_refused_with_the_reason(
    http: httpx.AsyncClient, live_url: str
) -> None:
    auth = await account(http, "garbage")
    stream = await new_stream(http, auth)
    junk = b"This is not video at all, only text pretending. " * 2000
    messages, code = await send_feed(live_url, stream["id"], stream["stream_key"], junk)
    assert code == 1003
    assert messages[-1]["code"] == "bad_feed"
    assert "not a video feed we accept" in messages[-1]["message"]


async def test_random_bytes_behind_a_video_header_are_refused(
    http: httpx.AsyncClient, live_url: str, feed_bytes: bytes
) -> None:
    auth = await account(http, "header")
    stream = await new_stream(http, auth)
    fake = feed_bytes[:376] + bytes((i * 7919) % 251 for i in range(300_000))
    messages, code = await send_feed(live_url, stream["id"], stream["stream_key"], *chunk_all(fake))
    assert code in (1003, 4408)
    assert messages[-1]["type"] == "error"
    assert messages[-1]["code"] in ("bad_feed", "idle", "no_data")


async def test_a_feed_that_stops_mid_clip_keeps_what_it_sent_and_the_stream_goes_on(
    http: httpx.AsyncClient, live_url: str, feed_bytes: bytes
) -> None:
    auth = await account(http, "stopper")
    stream = await new_stream(http, auth)
    sid, key = stream["id"], stream["stream_key"]
    part = feed_bytes[: len(feed_bytes) * 33 // 70]  # ~3.3 s of 7: into the second clip
    chunks = [part[i : i + 32_768] for i in range(0, len(part), 32_768)]
    messages, code = await send_feed(live_url, sid, key, *chunks)  # then silence
    assert code == 4408
    assert messages[-1]["code"] == "idle"
    clips = [m for m in messages if m["type"] == "clip"]
    assert [c["index"] for c in clips] == [0, 1]
    assert clips[0]["duration"] == pytest.approx(2.0, abs=0.05)
    assert 0 < clips[1]["duration"] < 2.0  # the clip it stopped in, published all the same
    again, code = await send_feed(
        live_url, sid, key, *chunk_all(feed_bytes), json.dumps({"type": "end"})
    )
    assert code == 1000 and again[-1] == {"type": "ended", "clips": 4}
    doc = (await http.get(f"/cdn/videos/{sid}/live/000002.json")).json()
    assert doc["discontinuity"] is True


async def test_an_oversized_websocket_message_is_refused(
    http: httpx.AsyncClient, live_url: str, feed_bytes: bytes
) -> None:
    auth = await account(http, "bigframe")
    stream = await new_stream(http, auth)
    big = feed_bytes[:200_000] + bytes(400_000)  # over the 256 KiB this server allows
    messages, code = await send_feed(live_url, stream["id"], stream["stream_key"], big)
    assert code == 1009
    assert messages[-1]["code"] == "frame_too_large"
    assert "limit is 262144" in messages[-1]["message"]


async def test_another_sites_page_cannot_use_the_streamers_session(
    http: httpx.AsyncClient, live_url: str, feed_bytes: bytes
) -> None:
    auth = await account(http, "cookie")
    stream = await new_stream(http, auth)
    body = {"username": "cookie", "password": PASSWORD}
    login = await http.post("/api/v1/auth/session", json=body)
    cookie = "; ".join(f"{k}={v}" for k, v in login.cookies.items())
    url = ingest_url(live_url, stream["id"])
    async with connect(
        url, additional_headers={"Cookie": cookie}, origin=Origin("http://evil.example")
    ) as ws:
        messages, code = await last_words(ws)
    assert code == 1008 and messages[-1]["code"] == "bad_origin"
    async with connect(url, additional_headers={"Cookie": cookie}, origin=Origin(live_url)) as ws:
        for chunk in chunk_all(feed_bytes):
            await ws.send(chunk)
        await ws.send(json.dumps({"type": "end"}))
        messages, code = await asyncio.wait_for(last_words(ws), 60)
    assert code == 1000 and messages[-1]["type"] == "ended"  # its own page may


def chunk_all(data: bytes, size: int = 32_768) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
