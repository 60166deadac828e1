"""The edge in front of a real S3 origin (a SeaweedFS of this test's own): an nginx restart
keeps its warm cache, and with the origin down cached media is still served while uncached
media fails cleanly (502, JSON, not cached)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clipcast.cdn.access import MediaAccess
from clipcast.cdn.signing import link_key
from clipcast.devserver import free_port
from clipcast.edge.gate import Gate
from clipcast.edge.nginx import EdgeConfig, S3Origin, render
from clipcast.edge.process import Nginx, running_nginx
from tests.seaweedfs import SeaweedFS, SeaweedStartError, running_seaweedfs
from tests.services import in_ci

pytestmark = [pytest.mark.seaweedfs]
VIDEO = uuid.uuid4()
CLIPS = {f"videos/{VIDEO}/240p/{n:06d}.m4s": os.urandom(200_000) for n in range(3)}
PLAYLIST = f"videos/{VIDEO}/240p/index.m3u8"


@pytest.fixture
def origin(tmp_path: Path, nginx_binary: str) -> Iterator[tuple[SeaweedFS, object]]:
    """A SeaweedFS that this test may stop, holding one video's objects."""
    try:
        context = running_seaweedfs(tmp_path / "weed")
        server = context.__enter__()
    except SeaweedStartError as exc:
        if in_ci():
            pytest.fail(f"SeaweedFS did not start: {exc}")
        pytest.skip(f"SeaweedFS did not start: {exc}")
    try:
        server.admin.create_bucket(Bucket="media")
        for key, data in {**CLIPS, PLAYLIST: b"#EXTM3U\n"}.items():
            server.admin.put_object(Bucket="media", Key=key, Body=data)
        yield server, context
    finally:
        context.__exit__(None, None, None)


def _edge(tmp: Path, s3_url: str) -> tuple[str, Path, int]:
    gate = Gate(tmp / "gate")
    gate.create()
    gate.apply(VIDEO, MediaAccess(public=True, key_version=0))
    port = free_port()
    text = render(
        EdgeConfig(
            listen=f"127.0.0.1:{port}",
            api=(f"127.0.0.1:{free_port()}",),
            origin=S3Origin(endpoint=s3_url, bucket="media"),
            link_key=link_key(b"faults"),
            gate_dir=gate.root,
            state_dir=tmp / "nginx",
            worker_processes="1",
            user="root" if os.geteuid() == 0 else None,
        )
    )
    return text, tmp / "nginx", port


def _get(nginx: Nginx, key: str) -> httpx.Response:
    return httpx.get(f"{nginx.url}/cdn/{key}", timeout=30)


def test_restart_keeps_the_cache_and_a_dead_origin_still_serves_what_is_cached(
    tmp_path: Path, origin: tuple[SeaweedFS, object]
) -> None:
    server, context = origin
    text, prefix, port = _edge(tmp_path, server.s3_url)
    first, second, never = list(CLIPS)
    with running_nginx(text, prefix, port) as nginx:
        miss = _get(nginx, first)
        assert (miss.status_code, miss.headers["x-cache-status"]) == (200, "MISS")
        assert miss.content == CLIPS[first]
        assert _get(nginx, first).headers["x-cache-status"] == "HIT"
        assert _get(nginx, second).status_code == 200
        assert _get(nginx, PLAYLIST).status_code == 200
        nginx.stop()
        nginx.start()
        warm = _get(nginx, first)
        assert (warm.status_code, warm.headers["x-cache-status"]) == (200, "HIT")
        context.__exit__(None, None, None)  # the origin goes down
        for key in (first, second):
            cached = _get(nginx, key)
            assert cached.status_code == 200 and cached.content == CLIPS[key]
        stale = _get(nginx, PLAYLIST)  # past its 1 s, kept for exactly this
        assert stale.status_code == 200 and stale.content == b"#EXTM3U\n"
        down = _get(nginx, never)
        assert down.status_code == 502
        assert down.headers["cache-control"] == "no-store"
        assert down.json()["error"]["code"] == "origin_unavailable"


def test_an_object_not_published_yet_is_404_and_not_cached(
    tmp_path: Path, origin: tuple[SeaweedFS, object]
) -> None:
    server, _ = origin
    text, prefix, port = _edge(tmp_path, server.s3_url)
    late = f"videos/{VIDEO}/240p/000009.m4s"
    with running_nginx(text, prefix, port) as nginx:
        missing = _get(nginx, late)
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "no-store"
        server.admin.put_object(Bucket="media", Key=late, Body=b"published now")
        assert _get(nginx, late).content == b"published now"
