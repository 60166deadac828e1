"""An encoder streams over SRT (as OBS does) into the same ingest as the WebSocket's; a caller
without the listener's passphrase is refused by SRT itself."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator

import httpx
import imageio_ffmpeg
import pytest

from tests.e2e.live_feeds import account, new_stream, wait_for_clips
from tests.e2e.server import running_server

pytestmark = pytest.mark.slow


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def srt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_udp_port()
    env = {"CLIPCAST_LIVE_SRT_PORTS": f"{port}-{port}", "CLIPCAST_LIVE_SRT_HOST": "127.0.0.1"}
    with running_server(tmp_path_factory.mktemp("live-srt") / "data", env) as url:
        yield url


def push_srt(url: str, seconds: int) -> subprocess.Popen[bytes]:
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error", "-re"),
        *("-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=10:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"),
        *("-g", "20", "-keyint_min", "20", "-sc_threshold", "0", "-c:a", "aac"),
        *("-f", "mpegts", url),
    ]
    return subprocess.Popen(argv, stderr=subprocess.PIPE)


async def test_an_encoder_streams_over_srt_and_a_wrong_passphrase_is_refused(
    srt_server: str,
) -> None:
    async with httpx.AsyncClient(base_url=srt_server, timeout=15) as http:
        auth = await account(http, "obs")
        stream = await new_stream(http, auth, title="From OBS")
        opened = await http.post(f"/api/v1/streams/{stream['id']}/srt", headers=auth)
        assert opened.status_code == 200, opened.text
        srt = opened.json()
        assert srt["url"].startswith("srt://127.0.0.1:")
        again = (await http.post(f"/api/v1/streams/{stream['id']}/srt", headers=auth)).json()
        assert again == srt  # the same listener while it listens

        intruder = push_srt(srt["url"].replace(srt["passphrase"], "not-the-passphrase"), 3)
        _, err = await asyncio.to_thread(intruder.communicate, timeout=30)
        assert intruder.returncode != 0  # SRT's handshake refused it
        still = (await http.get(f"/api/v1/streams/{stream['id']}/current")).json()
        assert still["index"] == 0 and (await http.get(still["document"])).status_code == 404

        encoder = push_srt(srt["url"], 7)
        index = await wait_for_clips(http, stream["id"], 2)
        await asyncio.to_thread(encoder.communicate, timeout=30)
        doc = (await http.get(f"/cdn/videos/{stream['id']}/live/{index:06d}.json")).json()
        assert doc["renditions"][0]["codecs"].startswith("avc1.")

        other = await new_stream(http, auth, title="Second")
        busy = await http.post(f"/api/v1/streams/{other['id']}/srt", headers=auth)
        assert busy.status_code == 409  # the one port of this server's range is in use
        assert busy.json()["error"]["code"] == "srt_unavailable"
        assert err  # ffmpeg said why it could not connect
