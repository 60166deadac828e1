"""The whole VOD path over real HTTP: tus upload (tuspy), transcode, HLS played back by ffmpeg."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path
from typing import Any

import av
import httpx
import imageio_ffmpeg
import pytest

from clipcast import client
from tests.e2e.server import running_server
from tests.media import make_video
from tests.seaweedfs import SeaweedFS

pytestmark = pytest.mark.slow

SECONDS, FPS = 5, 25


def _wait_ready(url: str, token: str, video_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen_playable_while_processing = False
    while time.monotonic() < deadline:
        video = client.get_video(url, token, video_id)
        if video["state"] == "processing" and video["playable"]:
            seen_playable_while_processing = True
        if video["state"] in ("ready", "failed"):
            video["_seen_early"] = seen_playable_while_processing
            return video
        time.sleep(0.1)
    raise AssertionError(f"not ready in {timeout}s: {video}")


def _play_with_ffmpeg(master_url: str, out: Path) -> None:
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-protocol_whitelist",
        "http,tcp,file,crypto,data",
        "-i",
        master_url,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0",
        "-c",
        "copy",
        str(out),
    ]
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


def _frames_and_duration(path: Path) -> tuple[int, float]:
    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
        duration = float(container.duration or 0) / 1_000_000
    return frames, duration


def _starts_with_keyframe(init: bytes, clip: bytes) -> bool:
    with av.open(io.BytesIO(init + clip), format="mp4", mode="r") as container:
        stream = container.streams.video[0]
        first = next(p for p in container.demux(stream) if p.size)
        return bool(first.is_keyframe)


@pytest.fixture(params=["embedded", "scaled"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Embedded: SQLite + local disk. Scaled: PostgreSQL + S3 on SeaweedFS, same code."""
    env = {"CLIPCAST_LADDER": "[360,240]"}
    if request.param == "scaled":
        weed: SeaweedFS = request.getfixturevalue("seaweedfs")
        bucket = request.getfixturevalue("s3_bucket")
        env |= {
            "CLIPCAST_DATABASE_URL": request.getfixturevalue("database_url_postgres"),
            "CLIPCAST_STORAGE_BACKEND": "s3",
            "CLIPCAST_S3_ENDPOINT_URL": weed.s3_url,
            "CLIPCAST_S3_BUCKET": bucket,
        }
    with running_server(tmp_path / "data", env) as url:
        yield url


@pytest.fixture
def s3_bucket(seaweedfs: SeaweedFS) -> Any:
    with seaweedfs.temporary_bucket("e2e") as bucket:
        yield bucket


def test_upload_with_tus_client_then_ffmpeg_plays_hls_back(server: str, tmp_path: Path) -> None:
    source = make_video(tmp_path / "source.mp4", seconds=SECONDS, fps=FPS, size="480x360")
    httpx.post(
        f"{server}/api/v1/auth/register", json={"username": "erin", "password": "long password"}
    )
    token = client.login(server, "erin", "long password")
    sent: list[int] = []
    video_id = client.upload(
        server,
        token,
        source,
        {"filename": "source.mp4", "title": "E2E"},
        lambda s, _t: sent.append(s),
    )
    assert sent[-1] == source.stat().st_size

    video = _wait_ready(server, token, video_id)
    assert video["state"] == "ready", video["failure_reason"]
    assert video["progress"] == 100
    # The picture rungs, then the one audio rendition they all play with (resolution 0).
    assert [r["resolution"] for r in video["renditions"]] == [360, 240, 0]
    assert abs(video["duration"] - SECONDS) < 0.1

    out = tmp_path / "played.mkv"
    _play_with_ffmpeg(video["playback"]["hls"], out)
    frames, duration = _frames_and_duration(out)
    assert abs(duration - SECONDS) < 0.15
    assert abs(frames - SECONDS * FPS) <= 1

    chain = httpx.get(
        f"{server}/api/v1/videos/{video_id}/clips", params={"resolution": 240, "limit": 10}
    ).json()
    clips = chain["clips"]
    assert [c["offset"] for c in clips] == pytest.approx([0.0, 2.0, 4.0], abs=0.01)
    assert [c["duration"] for c in clips] == pytest.approx([2.0, 2.0, 1.0], abs=0.03)
    assert [n["id"] for n in clips[0]["next"]] == [clips[1]["id"], clips[2]["id"]]
    init = httpx.get(chain["init_url"]).content
    for c in clips:
        assert _starts_with_keyframe(init, httpx.get(c["url"]).content)


def test_a_video_encoded_in_chunks_plays_back_whole(tmp_path: Path) -> None:
    """2 s chunks: the 5 s source becomes 3 chunks per rung, encoded as jobs and stitched."""
    env = {"CLIPCAST_LADDER": "[360,240]", "CLIPCAST_CHUNK_SECONDS": "2"}
    source = make_video(tmp_path / "source.mp4", seconds=SECONDS, fps=FPS, size="480x360")
    with running_server(tmp_path / "data", env) as server:
        account = {"username": "carol", "password": "long password"}
        httpx.post(f"{server}/api/v1/auth/register", json=account)
        token = client.login(server, account["username"], account["password"])
        meta = {"filename": "source.mp4", "title": "Chunked"}
        video_id = client.upload(server, token, source, meta, lambda *_: None)
        video = _wait_ready(server, token, video_id)
        assert video["state"] == "ready", video["failure_reason"]
        out = tmp_path / "played.mkv"
        _play_with_ffmpeg(video["playback"]["hls"], out)
    frames, duration = _frames_and_duration(out)
    assert abs(duration - SECONDS) < 0.15
    assert abs(frames - SECONDS * FPS) <= 1
