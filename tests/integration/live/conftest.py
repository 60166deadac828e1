"""Fixtures of the live tests: a stream of alice's, and tiny feeds made by ffmpeg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import auth
from tests.media import make_video

# A keyframe every 2 s exactly: what a well-set encoder sends (the copy path).
KEYFRAMES_2S = ["-g", "20", "-keyint_min", "20", "-sc_threshold", "0"]


@pytest.fixture(scope="session")
def h264_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """7 s of H.264/AAC in MPEG-TS, as `ffmpeg … -f mpegts - | clipcast live push` sends."""
    return make_video(
        tmp_path_factory.mktemp("live") / "feed.ts",
        seconds=7,
        size="320x180",
        fps=10,
        extra=KEYFRAMES_2S,
    )


@pytest.fixture(scope="session")
def vp8_feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 s of VP8/Opus in WebM, as a browser's MediaRecorder sends (the transcode path)."""
    return make_video(
        tmp_path_factory.mktemp("live") / "feed.webm",
        seconds=5,
        size="640x360",
        fps=10,
        extra=[
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-g",
            "20",
            "-c:a",
            "libopus",
        ],
    )


async def chunks(path: Path, size: int = 32 * 1024) -> AsyncIterator[bytes]:
    data = path.read_bytes()
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def create_stream(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Live from the lab", "tags": ["lab"], **fields}
    response = await client.post("/api/v1/streams", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
async def stream(client: httpx.AsyncClient, alice: str) -> dict[str, Any]:
    return await create_stream(client, alice)
