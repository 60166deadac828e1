"""Live end to end over real HTTP and WebSockets: ffmpeg pushes a live source through
`clipcast live push`; viewers walk the clip documents on the CDN; ffmpeg plays the live HLS;
a viewer's network drops and it resumes at the live edge; the feed is killed and the streamer
reconnects; the end makes a video that plays."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import av
import httpx
import imageio_ffmpeg
import pytest

from clipcast.live.walker import Get, NetworkDown, Walk, Walker
from tests.e2e.live_feeds import account, live_feed, new_stream, wait_for_clips
from tests.e2e.server import running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"CLIPCAST_LIVE_IDLE_SECONDS": "2"}
    with running_server(tmp_path_factory.mktemp("live-e2e") / "data", env) as url:
        yield url


class Flaky(httpx.AsyncBaseTransport):
    """A viewer's network that can be cut."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            raise httpx.ConnectError("the network is down", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def ffmpeg_copy(url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-y"),
        *("-protocol_whitelist", "http,tcp,file,crypto,data"),
        *("-i", url, *extra, "-c", "copy", str(out)),
    ]
    return subprocess.run(argv, capture_output=True, timeout=60, check=False)


def seconds_of(path: Path) -> float:
    """How long the video in `path` lasts, by its packets' times."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [
            float(p.pts * p.time_base)
            for p in container.demux(stream)
            if p.pts is not None and p.time_base is not None
        ]
    return max(times) - min(times)


async def test_viewers_walk_a_stream_that_survives_a_dropped_feed_then_plays_as_a_video(
    live_url: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=live_url, timeout=15) as http:
        auth = await account(http, "caster")
        stream = await new_stream(http, auth, title="Thirty seconds live")
        sid, key = stream["id"], stream["stream_key"]
        current = f"{live_url}/api/v1/streams/{sid}/current"
        flaky = Flaky()
        async with (
            httpx.AsyncClient(timeout=15) as steady_http,
            httpx.AsyncClient(transport=flaky, timeout=15) as flaky_http,
        ):
            steady = asyncio.create_task(Walker(steady_http, current).run())
            jumper = Walker(flaky_http, current)
            jumping = asyncio.create_task(jumper.run())
            with live_feed(live_url, sid, key, seconds=16) as first:
                await wait_for_clips(http, sid, 3)
                hls = asyncio.to_thread(
                    ffmpeg_copy,
                    f"{live_url}/cdn/videos/{sid}/master.m3u8",
                    tmp_path / "live.ts",
                    "-t",
                    "4",
                )
                played = await hls
                before_cut = jumper.walk.seen[-1].index
                flaky.cut = True
                await asyncio.sleep(5)
                flaky.cut = False
                edge = (await http.get(current)).json()["index"]
                await wait_for_clips(http, sid, edge + 2)
                first.kill()  # the streamer's machine drops off the network
            await asyncio.sleep(1.5)
            with live_feed(live_url, sid, key, seconds=14) as second:  # and reconnects
                messages = await asyncio.to_thread(second.wait, 60)
            ended = await http.post(f"/api/v1/streams/{sid}/end", headers=auth)
            walk = await asyncio.wait_for(steady, 30)
            jumped = await asyncio.wait_for(jumping, 30)

        assert played.returncode == 0, played.stderr.decode()[-500:]
        assert seconds_of(tmp_path / "live.ts") >= 3.0  # ffmpeg played the live HLS
        assert messages[0]["type"] == "ready" and messages[-1]["type"] == "ended"
        assert ended.json()["state"] == "ready"
        assert_no_gaps_no_repeats(walk)
        assert_resumed_at_the_edge(jumped, before_cut, edge)
        vod = (await http.get(f"/api/v1/videos/{sid}")).json()
        out = tmp_path / "vod.ts"
        result = ffmpeg_copy(vod["playback"]["hls"], out, "-map", "0:v:0", "-map", "0:a:0")
        assert result.returncode == 0, result.stderr.decode()[-500:]
        total = sum(s.duration for s in walk.seen)
        assert vod["duration"] == pytest.approx(total, abs=0.1)
        assert seconds_of(out) == pytest.approx(total, abs=1.5)
        poster = await thumbnails_of(http, sid)  # video.ready brought them, as for an upload
        assert poster["poster"] is not None


async def thumbnails_of(http: httpx.AsyncClient, video_id: str) -> dict[str, Any]:
    """The video's thumbnails once the thumbnailer made them."""
    for _ in range(300):
        body = (await http.get(f"/api/v1/videos/{video_id}")).json()
        if body["thumbnails"].get("poster"):
            found: dict[str, Any] = body["thumbnails"]
            return found
        await asyncio.sleep(0.2)
    raise AssertionError("no thumbnails were made")


def assert_no_gaps_no_repeats(walk: Walk) -> None:
    indexes = [s.index for s in walk.seen]
    assert indexes == list(range(indexes[-1] + 1))  # from the first clip, each once, in order
    for before, after in zip(walk.seen, walk.seen[1:], strict=False):
        assert after.media_time == pytest.approx(before.media_time + before.duration, abs=1e-3)
        assert after.program_date_time > before.program_date_time
    marked = [s.index for s in walk.seen if s.discontinuity]
    assert len(marked) == 1 and marked[0] > 2  # the reconnect, and only it, is marked
    assert sum(s.duration for s in walk.seen) >= 24  # ~30 s of media, a drop and a reconnect
    assert walk.ended is not None and walk.ended["vod"] == "../master.m3u8"
    assert walk.current_calls == 1  # everything after the first call came from the CDN


def assert_resumed_at_the_edge(walk: Walk, before_cut: int, edge: int) -> None:
    assert walk.recoveries >= 1
    resumed = [s for s in walk.seen if s.jumped and s.index > before_cut]
    assert resumed, "the viewer never came back"
    assert resumed[0].index >= edge  # the live edge, not where it had stopped
    assert resumed[0].index > before_cut + 1
    after = [s.index for s in walk.seen if s.index >= resumed[0].index]
    assert after == list(range(resumed[0].index, resumed[0].index + len(after)))


async def test_two_hundred_viewers_cost_the_api_two_hundred_calls(live_url: str) -> None:
    viewers = 200
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        auth = await account(http, "popular")
        stream = await new_stream(http, auth, title="Everyone is here")
        sid = stream["id"]
        current = f"{live_url}/api/v1/streams/{sid}/current"
        with live_feed(live_url, sid, stream["stream_key"], seconds=16):
            await wait_for_clips(http, sid, 2)
            before = await api_calls(http)
            # aiohttp for the crowd: two hundred httpx clients cost this machine more than
            # the server they measure.
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as crowd:
                get = aiohttp_get(crowd)
                walks = await asyncio.gather(
                    *(Walker(get, current).run(lambda w: len(w.seen) >= 3) for _ in range(viewers))
                )
            after = await api_calls(http)
            joined = {w.seen[0].index for w in walks}
            # Every viewer read the document after the newest join; the next one counts them.
            counted = await document_after(http, sid, max(joined) + 1)
    delta = {route: after[route] - before.get(route, 0) for route in after}
    # The API saw nothing but the viewers' own `current` calls: one each to join, and one more
    # for each recovery a viewer made when a document came late (on a loaded machine).
    asked = sum(w.current_calls for w in walks)
    assert {route: n for route, n in delta.items() if n} == {
        "/api/v1/streams/{video_id}/current": asked
    }
    assert all(w.current_calls >= 1 and len(w.seen) == 3 for w in walks)
    assert sum(w.current_calls == 1 for w in walks) >= viewers // 2  # most never needed more
    assert max(joined) - min(joined) <= 1
    assert counted["viewers"] == viewers  # the edge counted every one of them


def aiohttp_get(session: aiohttp.ClientSession) -> Get:
    async def get(url: str) -> tuple[int, bytes]:
        try:
            async with session.get(url) as response:
                return response.status, await response.read()
        except aiohttp.ClientError as exc:
            raise NetworkDown(str(exc)) from exc

    return get


async def api_calls(http: httpx.AsyncClient) -> dict[str, float]:
    """Requests per API route template so far, from the server's /metrics."""
    text = (await http.get("/metrics")).text
    pattern = re.compile(
        r'^clipcast_http_request_seconds_count\{[^}]*route="(/api/[^"]*)"[^}]*\} ([0-9.e+]+)$',
        re.M,
    )
    out: dict[str, float] = {}
    for route, count in pattern.findall(text):
        out[route] = out.get(route, 0) + float(count)
    return out


async def document_after(http: httpx.AsyncClient, sid: str, index: int) -> dict[str, Any]:
    """The clip document after `index`, once published."""
    for _ in range(100):
        response = await http.get(f"/cdn/videos/{sid}/live/{index + 1:06d}.json")
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.2)
    raise AssertionError("the next document never came")
