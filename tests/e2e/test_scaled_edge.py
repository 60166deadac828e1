"""Scaled mode behind its CDN edge: PostgreSQL + NATS + SeaweedFS + Redis, nginx rendered by
`clipcast edge nginx-config`, 2 API processes, 2 transcode workers, thumbnails, search,
activity and the edge worker. A viewer who talks only to nginx plays a public and a private
video; no media request reaches an API process; a video made private closes at the edge, and
on the other API's own /cdn route through the bus."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from clipcast import client
from clipcast.devserver import free_port
from clipcast.edge.process import Nginx, running_nginx
from tests.e2e.cluster import EXE, Cluster, cluster
from tests.e2e.test_scaled_processes import eventually
from tests.integration.edge.conftest import require_nginx
from tests.media import make_video

pytestmark = [pytest.mark.slow, pytest.mark.nats, pytest.mark.seaweedfs]
URI = re.compile(r'URI="([^"]+)"')


@pytest.fixture
def edge_port() -> int:
    return free_port()


@pytest.fixture
def edge_env(scaled_base_env: dict[str, str], edge_port: int, tmp_path: Path) -> dict[str, str]:
    return scaled_base_env | {
        "CLIPCAST_LADDER": "[240]",
        "CLIPCAST_PUBLIC_URL": f"http://127.0.0.1:{edge_port}",
        "CLIPCAST_EDGE_GATE_DIR": str(tmp_path / "gate"),
        "CLIPCAST_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CLIPCAST_REDIS_PREFIX": f"edge-{uuid.uuid4().hex[:8]}",
        # Every media request an API serves is logged, so none in the logs means none served.
        "CLIPCAST_LOG_MEDIA_REQUESTS": "true",
    }


def _start(c: Cluster) -> tuple[str, str]:
    for name, role in (("search", "search"), ("thumbs", "thumbnails"), ("activity", "activity")):
        c.worker(name, role)
    c.worker("transcode-1", "transcode")
    c.worker("transcode-2", "transcode")
    edge = c.worker("edge", "edge")

    def gate_written() -> bool:
        if edge.process.poll() is not None:  # a role that dies ends its worker (RoleFailed)
            raise AssertionError(f"the edge worker exited:\n{edge.tail()}")
        return "edge gate in" in edge.log.read_text()

    try:
        eventually(gate_written, 120, "the gate's first pass")
    except AssertionError as failed:
        raise AssertionError(f"no gate from the edge worker: {failed}\n{edge.tail()}") from None
    first, second = c.api("api-1"), c.api("api-2")
    assert first.url and second.url
    return first.url, second.url


@pytest.fixture
def deployment(
    tmp_path: Path, edge_env: dict[str, str], edge_port: int
) -> Iterator[tuple[Cluster, Nginx]]:
    require_nginx()
    with cluster(tmp_path / "procs", edge_env) as c:
        apis = _start(c)
        config = _render(edge_env, edge_port, apis, tmp_path / "nginx")
        with running_nginx(config, tmp_path / "nginx", edge_port) as nginx:
            yield c, nginx


def _render(env: dict[str, str], port: int, apis: tuple[str, str], state: Path) -> str:
    """What an operator runs: the CLI, with the deployment's settings."""
    argv = [EXE, "edge", "nginx-config", "--listen", f"127.0.0.1:{port}"]
    for api in apis:
        argv += ["--api", api.removeprefix("http://")]
    argv += ["--state-dir", str(state), *(["--user", "root"] if os.geteuid() == 0 else [])]
    full_env = {**os.environ, **env, "CLIPCAST_DATA_DIR": str(state.parent / "cli")}
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, check=True).stdout


def _publish(edge: str, token: str, source: Path, visibility: str) -> dict[str, Any]:
    meta = {"filename": "v.mp4", "title": f"A {visibility} one", "visibility": visibility}
    video_id = client.upload(edge, token, source, meta, lambda *_: None)
    video = client.wait_until_done(edge, token, video_id, lambda _v: None)
    assert video["state"] == "ready", video["failure_reason"]
    return video


def _play(hls: str) -> int:
    """What an HLS player does: master, variant, init segment, every clip; returns bytes."""
    master = httpx.get(hls)
    assert master.status_code == 200, (hls, master.status_code)
    variant = urljoin(hls, next(x for x in master.text.splitlines() if x and x[0] != "#"))
    playlist = httpx.get(variant)
    assert playlist.status_code == 200
    parts = URI.findall(playlist.text) + [x for x in playlist.text.splitlines() if x[:1] != "#"]
    total = 0
    for part in filter(None, parts):
        media = httpx.get(urljoin(variant, part))
        assert media.status_code == 200 and media.content, part
        total += len(media.content)
    return total


def test_a_viewer_of_nginx_alone_plays_public_and_private_videos_and_apis_serve_no_media(
    tmp_path: Path, deployment: tuple[Cluster, Nginx]
) -> None:
    c, nginx = deployment
    edge = nginx.url
    account = {"username": "sam", "password": "sam's password"}
    assert httpx.post(f"{edge}/api/v1/auth/register", json=account).status_code == 201
    token = client.login(edge, account["username"], account["password"])
    source = make_video(tmp_path / "v.mp4", seconds=3, size="320x240")
    public = _publish(edge, token, source, "public")
    private = _publish(edge, token, source, "private")

    seen = client.get_video(edge, "", public["id"])  # anonymous
    assert seen["playback"]["hls"].startswith(f"{edge}/cdn/videos/")
    assert _play(seen["playback"]["hls"]) > 0
    mine = client.get_video(edge, token, private["id"])
    assert mine["playback"]["hls"].startswith(f"{edge}/cdn/s/")
    assert _play(mine["playback"]["hls"]) > 0
    assert httpx.get(f"{edge}/api/v1/videos/{private['id']}").status_code == 404
    unsigned = f"{edge}/cdn/videos/{private['id']}/master.m3u8"
    assert httpx.get(unsigned).status_code == 404

    api_logs = [p.log.read_text() for p in c.procs if p.name.startswith("api-")]
    # The API processes log every request they serve (so the absence below means something).
    assert any(f"GET /api/v1/videos/{public['id']}" in log for log in api_logs)
    assert not [log for log in api_logs if "/cdn/" in log]
    access = (nginx.prefix / "access.log").read_text()
    assert f"/cdn/videos/{public['id']}/" in access and "/cdn/s/" in access

    # Each API's own /cdn route (embedded mode's) has the video's access in memory now.
    api1, api2 = (p.url for p in c.procs if p.name in ("api-1", "api-2"))
    path = f"/cdn/videos/{public['id']}/master.m3u8"
    assert httpx.get(f"{api2}{path}").status_code == 200
    headers = {"Authorization": f"Bearer {token}"}
    made_private = httpx.patch(
        f"{api1}/api/v1/videos/{public['id']}", json={"visibility": "private"}, headers=headers
    )
    assert made_private.status_code == 200
    assert httpx.get(f"{api1}{path}").status_code == 404  # its own change: at once
    old_url = seen["playback"]["hls"]
    eventually(lambda: httpx.get(old_url).status_code == 404, 30, "the edge to close it")
    # The other API learns it from the bus, not from SQL on each request.
    eventually(lambda: httpx.get(f"{api2}{path}").status_code == 404, 30, "api-2 to forget it")
