"""Processing as a user sees it: playable early, progress, failures with reasons, nothing leaked."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import pytest

from clipcast.bootstrap import Adapters
from clipcast.transcoding import early, encoder
from tests.integration.api.flow import upload_and_process
from tests.integration.conftest import auth
from tests.media import make_video

pytestmark = pytest.mark.slow


def _pace(monkeypatch: pytest.MonkeyPatch, rate: str, *, above_rungs: int = 0) -> list[list[int]]:
    """ffmpeg reads the source at `rate`× its pace in runs of more than `above_rungs` rungs;
    returns the rungs of every run, as they start."""
    real_argv = encoder.build_argv
    runs: list[list[int]] = []

    def paced_argv(**kwargs: Any) -> list[str]:
        argv = real_argv(**kwargs)
        runs.append([r.resolution for r in kwargs["rungs"]])
        if len(kwargs["rungs"]) <= above_rungs:
            return argv
        at = argv.index("-i")
        return [*argv[:at], "-readrate", rate, *argv[at:]]

    monkeypatch.setattr(encoder, "build_argv", paced_argv)
    return runs


def _on_first_publication(
    monkeypatch: pytest.MonkeyPatch, look: Callable[[str], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """What `look(video_id)` sees right after the first publication made during encoding
    (filled in as it happens)."""
    seen: list[dict[str, Any]] = []
    real_publish = early.publish_renditions

    async def observing_publish(*args: Any, **kwargs: Any) -> None:
        await real_publish(*args, **kwargs)
        if not seen:
            seen.append(await look(str(args[2])))

    monkeypatch.setattr(early, "publish_renditions", observing_publish)
    return seen


@pytest.fixture(scope="session")
def video_12s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("m12") / "v.mp4", seconds=12, size="640x360", fps=25)


async def test_lowest_rung_is_playable_while_the_rest_are_still_encoding(
    client: httpx.AsyncClient,
    adapters: Adapters,
    alice: str,
    video_12s: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read the source at 4× its pace, so the one run lasts ~3 s and is seen half way.
    _pace(monkeypatch, "4")

    async def look(video_id: str) -> dict[str, Any]:
        body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
        master_url = body["playback"]["hls"]
        media_url = master_url.rsplit("/", 1)[0] + "/240p/index.m3u8"
        media = (await client.get(media_url)).text
        clips = [line for line in media.splitlines() if line.endswith(".m4s")]
        statuses = [
            (await client.get(media_url.rsplit("/", 1)[0] + f"/{c}")).status_code for c in clips
        ]
        master = (await client.get(master_url)).text
        return {"video": body, "master": master, "media": media, "statuses": statuses}

    seen = _on_first_publication(monkeypatch, look)
    video_id = await upload_and_process(client, adapters, alice, video_12s)

    assert seen, "the video was never published while it was being encoded"
    first = seen[0]
    assert (first["video"]["state"], first["video"]["playable"]) == ("processing", True)
    assert 0 < first["video"]["progress"] < 100
    # The lowest picture rung and the one audio rendition it plays with (resolution 0).
    assert [r["resolution"] for r in first["video"]["renditions"]] == [240, 0]
    assert "240p/index.m3u8" in first["master"] and "360p" not in first["master"]
    assert 'URI="audio/index.m3u8"' in first["master"]
    # A growing EVENT playlist: the clips made so far, each one already served.
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in first["media"]
    assert "#EXT-X-ENDLIST" not in first["media"]
    assert 2 <= len(first["statuses"]) < 6 and set(first["statuses"]) == {200}

    final = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert (final["state"], final["progress"]) == ("ready", 100)
    assert [r["resolution"] for r in final["renditions"]] == [360, 240, 0]
    media = (await client.get(final["playback"]["hls"].rsplit("/", 1)[0] + "/240p/index.m3u8")).text
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in media and media.rstrip().endswith("#EXT-X-ENDLIST")
    assert media.count(".m4s") == 6


@pytest.fixture(scope="session")
def video_4s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("m4") / "v.mp4", seconds=4, size="640x360", fps=25)


async def test_a_run_slower_than_real_time_pauses_for_the_lowest_rung_alone(
    client: httpx.AsyncClient,
    adapters: Adapters,
    alice: str,
    video_4s: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The whole ladder reads its source at 0.2× its pace, as a heavy source would go on a
    # small machine; the lowest rung and the audio alone go at full speed.
    runs = _pace(monkeypatch, "0.2", above_rungs=2)

    async def look(video_id: str) -> dict[str, Any]:
        body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
        base = body["playback"]["hls"].rsplit("/", 1)[0]
        return {"video": body, "media": (await client.get(f"{base}/240p/index.m3u8")).text}

    seen = _on_first_publication(monkeypatch, look)
    video_id = await upload_and_process(client, adapters, alice, video_4s)

    # The whole ladder started, then the lowest rung and the audio were made on their own.
    assert runs == [[240, 360, 0], [240, 0]]
    first = seen[0]
    assert (first["video"]["state"], first["video"]["playable"]) == ("processing", True)
    assert [r["resolution"] for r in first["video"]["renditions"]] == [240, 0]
    # Published whole: a VOD playlist of every clip, not a growing one.
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in first["media"] and "#EXT-X-ENDLIST" in first["media"]
    assert first["media"].count(".m4s") == 2
    final = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert (final["state"], final["progress"]) == ("ready", 100)
    assert [r["resolution"] for r in final["renditions"]] == [360, 240, 0]


async def test_ready_writes_one_video_ready_event(
    client: httpx.AsyncClient, adapters: Adapters, alice: str, small_video: Path
) -> None:
    from sqlalchemy import select

    from clipcast.outbox.models import OutboxEvent

    video_id = await upload_and_process(client, adapters, alice, small_video)
    async with adapters.sessions() as session:
        events = list(
            await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "video.ready"))
        )
    assert [e.payload["video_id"] for e in events] == [video_id]


def _truncated(source: Path, out: Path) -> Path:
    data = source.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


@pytest.mark.parametrize(
    ("make", "reason_part"),
    [
        (lambda d, src: (d / "one.mp4").write_bytes(b"\x00") and d / "one.mp4", "too short"),
        (
            lambda d, src: (
                (d / "text.mp4").write_text("hello, this is not a video\n" * 20) and d / "text.mp4"
            ),
            "not a video",
        ),
        (
            lambda d, src: (
                (d / "hls.mp4").write_text("#EXTM3U\n#EXTINF:2,\nfile:///etc/passwd\n")
                and d / "hls.mp4"
            ),
            "playlist",
        ),
        (
            lambda d, src: (
                (d / "cc.mp4").write_text("ffconcat version 1.0\nfile '/etc/passwd'\n")
                and d / "cc.mp4"
            ),
            "concat",
        ),
        (lambda d, src: _truncated(src, d / "cut.mp4"), "damaged"),
    ],
    ids=["one-byte", "text", "hls-playlist", "concat-script", "truncated"],
)
async def test_bad_files_end_failed_with_a_reason_and_publish_nothing(
    client: httpx.AsyncClient,
    adapters: Adapters,
    alice: str,
    tmp_path: Path,
    small_video: Path,
    make: Any,
    reason_part: str,
) -> None:
    bad: Path = make(tmp_path, small_video)
    video_id = await upload_and_process(client, adapters, alice, bad)
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert body["state"] == "failed"
    assert reason_part in body["failure_reason"].lower()
    assert body["playable"] is False and body["playback"]["hls"] is None
    assert await adapters.storage.list_keys(f"videos/{video_id}/") == []
    assert (await client.get(f"/cdn/videos/{video_id}/master.m3u8")).status_code == 404


async def test_a_stalled_ffmpeg_is_killed_and_the_video_fails(
    client: httpx.AsyncClient,
    adapters: Adapters,
    alice: str,
    small_video: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    adapters.settings.ffmpeg_stall_seconds = 1
    real_run = encoder.run_ffmpeg  # type: ignore[attr-defined]

    async def hanging(argv: list[str], **kwargs: Any) -> None:
        # Same runner and watchdog, but ffmpeg reads a FIFO nobody writes: it never progresses.
        fifo = Path(argv[-1]).parent.parent / "stall.fifo"
        fifo.parent.mkdir(parents=True, exist_ok=True)
        __import__("os").mkfifo(fifo)
        stuck = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-nostdin",
            "-progress",
            "pipe:1",
            "-f",
            "mpegts",
            "-i",
            str(fifo),
            "-f",
            "null",
            "-",
        ]
        await real_run(stuck, **kwargs)

    monkeypatch.setattr(encoder, "run_ffmpeg", hanging)
    video_id = await upload_and_process(client, adapters, alice, small_video)
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert body["state"] == "failed"
    assert "stalled" in body["failure_reason"]
    leftovers = subprocess.run(["pgrep", "-f", "stall.fifo"], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""


@pytest.mark.parametrize(
    ("kind", "audio", "video", "resolutions"),
    [("audio-only", True, False, [0]), ("video-only", False, True, [240])],
)
async def test_audio_only_and_video_only_sources_become_playable(
    client: httpx.AsyncClient,
    adapters: Adapters,
    alice: str,
    tmp_path: Path,
    kind: str,
    audio: bool,
    video: bool,
    resolutions: list[int],
) -> None:
    suffix = ".m4a" if not video else ".mp4"
    source = make_video(tmp_path / f"{kind}{suffix}", seconds=3, audio=audio, video=video)
    video_id = await upload_and_process(client, adapters, alice, source)
    body = (await client.get(f"/api/v1/videos/{video_id}", headers=auth(alice))).json()
    assert body["state"] == "ready", body["failure_reason"]
    assert [r["resolution"] for r in body["renditions"]] == resolutions
    master = (await client.get(body["playback"]["hls"])).text
    codecs = next(line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF"))
    assert ("mp4a" in codecs) is audio
    assert ("avc1" in codecs) is video
