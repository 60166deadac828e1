"""Scaled mode for real: 2 API processes, 2 transcode workers, a thumbnail and a search worker,
on PostgreSQL + NATS JetStream + S3 (SeaweedFS)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from clipcast import client
from tests.e2e.cluster import Cluster, cluster
from tests.media import make_video

pytestmark = [pytest.mark.slow, pytest.mark.nats]

TITLES = ["Aurora timelapse", "Banjo lesson", "Cedar workshop", "Dolphin pod", "Espresso art"]


@pytest.fixture
def scaled_env(scaled_base_env: dict[str, str]) -> dict[str, str]:
    return scaled_base_env | {
        "CLIPCAST_LADDER": "[240]",
    }


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start(c: Cluster) -> tuple[str, str]:
    # Consumers first: a consumer group's backlog starts when it first subscribes.
    c.worker("search", "search")
    c.worker("thumbs", "thumbnails")
    c.worker("transcode-1", "transcode")
    c.worker("transcode-2", "transcode")
    first, second = c.api("api-1"), c.api("api-2")
    assert first.url and second.url
    return first.url, second.url


def test_five_uploads_through_two_apis_all_ready_with_thumbnails_and_found(
    tmp_path: Path, scaled_env: dict[str, str]
) -> None:
    with cluster(tmp_path / "procs", scaled_env) as c:
        api1, api2 = _start(c)
        httpx.post(
            f"{api1}/api/v1/auth/register", json={"username": "sam", "password": "sam's password"}
        )
        token = client.login(api2, "sam", "sam's password")
        ids = []
        for n, title in enumerate(TITLES):
            source = make_video(tmp_path / f"v{n}.mp4", seconds=3, size="320x240")
            server = (api1, api2)[n % 2]
            ids.append(
                client.upload(
                    server, token, source, {"filename": "v.mp4", "title": title}, lambda *_: None
                )
            )

        def all_done() -> list[dict[str, Any]] | None:
            videos = [client.get_video(api2, token, i) for i in ids]
            return videos if all(v["state"] in ("ready", "failed") for v in videos) else None

        videos = eventually(all_done, 180, "5 videos ready")
        assert [v["state"] for v in videos] == ["ready"] * 5, [v["failure_reason"] for v in videos]

        def thumbnails_everywhere() -> bool:
            return all(client.get_video(api1, token, i)["thumbnails"]["poster"] for i in ids)

        eventually(thumbnails_everywhere, 120, "thumbnails of all 5")
        poster = client.get_video(api1, token, ids[0])["thumbnails"]["poster"]
        assert httpx.get(poster["card"]["url"]).status_code == 200

        for title, video_id in zip(TITLES, ids, strict=True):
            for api in (api1, api2):

                def found(api: str = api, title: str = title, video_id: str = video_id) -> bool:
                    hits = httpx.get(f"{api}/api/v1/search", params={"q": title}).json()["items"]
                    return bool(hits) and hits[0]["id"] == video_id

                eventually(found, 60, f"{title!r} found on {api}")
