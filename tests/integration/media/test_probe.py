"""The probe against real files: good media is described, hostile or broken media refused."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clipcast.adapters.media.probe import (
    CONTAINERS,
    MediaRejected,
    ProbeLimits,
    ProbeResult,
    probe_file,
)
from tests.integration.media.sources import (
    AAC,
    H264,
    LIMITS,
    ffmpeg,
    ffmpeg_to_pipe,
    mp4,
    odd_webm,
    picture,
    raw_avi_declaring,
    rotated_mp4,
    tone,
)


async def _refused(path: Path, limits: ProbeLimits = LIMITS, within: float = 10) -> str:
    with pytest.raises(MediaRejected) as refused:
        await probe_file(path, limits, timeout=within)
    return refused.value.reason


async def test_a_good_mp4_is_described(tmp_path: Path) -> None:
    probe = await probe_file(mp4(tmp_path / "good.mp4"), LIMITS, timeout=10)
    assert probe == ProbeResult(
        container="mov",
        duration=pytest.approx(3.0, abs=0.05),  # type: ignore[arg-type]
        has_video=True,
        has_audio=True,
        width=320,
        height=240,
        rotation=0,
        fps=30.0,
        video_codec="h264",
        audio_codec="aac",
        audio_channels=1,
        audio_sample_rate=44100,
        size_bytes=(tmp_path / "good.mp4").stat().st_size,
    )
    assert ProbeResult.from_dict(json.loads(json.dumps(probe.to_dict()))) == probe


async def test_a_webm_is_read_by_the_matroska_demuxer(tmp_path: Path) -> None:
    path = tmp_path / "clip.webm"
    vp9 = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]
    ffmpeg(*picture(), *tone(), *vp9, "-c:a", "libopus", str(path))
    probe = await probe_file(path, LIMITS, timeout=10)
    assert (probe.container, probe.video_codec, probe.audio_codec) == ("matroska", "vp9", "opus")
    assert probe.duration == pytest.approx(3.0, abs=0.05)


async def test_a_webm_without_a_duration_is_measured(tmp_path: Path) -> None:
    # Written to a pipe, as a browser's MediaRecorder does: no Duration element.
    path = tmp_path / "recorded.webm"
    vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"]
    ffmpeg_to_pipe(path, *picture(seconds=2), *vp8, "-f", "webm")
    probe = await probe_file(path, LIMITS, timeout=10)
    assert probe.duration == pytest.approx(2.0, abs=0.1)


async def test_audio_only_m4a(tmp_path: Path) -> None:
    path = tmp_path / "song.m4a"
    ffmpeg(*tone(), *AAC, str(path))
    probe = await probe_file(path, LIMITS, timeout=10)
    assert (probe.has_video, probe.has_audio) == (False, True)
    assert (probe.width, probe.height, probe.fps, probe.video_codec) == (0, 0, 0.0, None)


async def test_video_only(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    ffmpeg(*picture(), *H264, str(path))
    probe = await probe_file(path, LIMITS, timeout=10)
    assert (probe.has_video, probe.has_audio, probe.audio_codec) == (True, False, None)


@pytest.mark.parametrize(("degrees", "rotation"), [(90, 90), (-90, 270), (180, 180)])
async def test_rotated_video_reports_the_displayed_size(
    tmp_path: Path, degrees: int, rotation: int
) -> None:
    source = mp4(tmp_path / "landscape.mp4", size="320x240", seconds=1)
    probe = await probe_file(rotated_mp4(tmp_path / "r.mp4", source, degrees), LIMITS, timeout=10)
    assert probe.rotation == rotation
    expected = (320, 240) if rotation == 180 else (240, 320)
    assert (probe.width, probe.height) == expected


async def test_odd_sizes_are_reported_as_they_are(tmp_path: Path) -> None:
    probe = await probe_file(odd_webm(tmp_path / "odd.webm"), LIMITS, timeout=10)
    assert (probe.width, probe.height) == (321, 241)


async def test_variable_frame_rate_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mkv"
    drop = ["-vf", "select='lt(mod(n,10),6)'", "-fps_mode", "vfr"]
    ffmpeg(*picture(), *drop, *H264, str(path))
    probe = await probe_file(path, LIMITS, timeout=10)
    assert 10 <= probe.fps <= 30
    assert probe.duration == pytest.approx(3.0, abs=0.2)


async def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert await _refused(tmp_path / "empty.mp4") == "The file is empty."


async def test_one_byte_file(tmp_path: Path) -> None:
    (tmp_path / "one.mp4").write_bytes(b"\x00")
    assert await _refused(tmp_path / "one.mp4") == "The file is too short to be a video (1 byte)."


async def test_text_named_mp4(tmp_path: Path) -> None:
    (tmp_path / "notes.mp4").write_text("Shopping list:\n- milk\n- eggs\n" * 10)
    assert await _refused(tmp_path / "notes.mp4") == (
        "This is not a video file we accept (looks like text)."
    )


async def test_truncated_mp4_with_its_index_at_the_end(tmp_path: Path) -> None:
    whole = mp4(tmp_path / "whole.mp4").read_bytes()
    (tmp_path / "half.mp4").write_bytes(whole[: len(whole) // 2])
    assert await _refused(tmp_path / "half.mp4") == (
        "The file is truncated or damaged: moov atom not found."
    )


async def test_file_over_the_byte_cap(tmp_path: Path) -> None:
    path = mp4(tmp_path / "good.mp4", seconds=1)
    limits = dataclasses.replace(LIMITS, max_bytes=1000)
    assert (
        await _refused(path, limits)
        == f"The file is {path.stat().st_size / 1000:.1f} KB; the limit is 1.0 KB."
    )


@pytest.fixture
def trap(tmp_path: Path) -> Path:
    """A FIFO nobody writes to: whoever opens it for reading blocks until the test times out.

    Unpinned, ffmpeg's hls demuxer (for a .m3u8) and concat demuxer (with safe=0) do open it,
    so a probe that returns promptly with its reason proves the named file was never opened.
    """
    fifo = tmp_path / "trap.ts"
    os.mkfifo(fifo)
    return fifo


def _no_reader(fifo: Path) -> bool:
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody has it open for reading
        return True
    return False


def test_the_trap_catches_an_unguarded_open(tmp_path: Path, trap: Path) -> None:
    # The control: ffmpeg left to guess the format follows the playlist and blocks on the FIFO.
    playlist = tmp_path / "movie.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{trap}\n#EXT-X-ENDLIST\n")
    unguarded = subprocess.Popen(
        [sys.executable, "-c", "import av, sys; av.open(sys.argv[1])", str(playlist)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            unguarded.wait(timeout=1.5)
        assert not _no_reader(trap)
    finally:
        unguarded.kill()
        unguarded.wait()


@pytest.fixture
def children_started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """Every child process the probe starts (it still starts them)."""
    started: list[tuple[object, ...]] = []
    real = asyncio.create_subprocess_exec

    async def recording(*argv: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        started.append(argv)
        return await real(*argv, **kwargs)

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    return started


async def test_hls_playlist_disguised_as_mp4(
    tmp_path: Path, trap: Path, children_started: list[tuple[object, ...]]
) -> None:
    path = tmp_path / "movie.mp4"
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{trap}\n#EXT-X-ENDLIST\n")
    assert await _refused(path, within=5) == "An HLS playlist is not a video file."
    assert children_started == []  # refused by its first bytes: no demuxer ever saw it
    assert _no_reader(trap)


async def test_concat_script_disguised_as_mp4(
    tmp_path: Path, trap: Path, children_started: list[tuple[object, ...]]
) -> None:
    path = tmp_path / "movie.mp4"
    path.write_text(f"ffconcat version 1.0\nfile '{trap}'\nfile '/etc/passwd'\n")
    assert await _refused(path, within=5) == "An ffmpeg concat script is not a video file."
    assert children_started == []
    assert _no_reader(trap)


@pytest.mark.parametrize("container", sorted(CONTAINERS))
def test_the_child_never_follows_a_playlist_whatever_demuxer_is_pinned(
    tmp_path: Path, trap: Path, container: str
) -> None:
    # Behind the sniffer: even if a playlist reached the child, the pinned demuxer refuses it.
    playlist = tmp_path / "movie.m3u8"
    playlist.write_text(f"#EXTM3U\n#EXTINF:2,\n{trap}\n#EXT-X-ENDLIST\n")
    argv = [sys.executable, "-m", "clipcast.adapters.media.probe_child", str(playlist), container]
    done = subprocess.run(
        [*argv, json.dumps(LIMITS.to_dict())], capture_output=True, timeout=10, check=True
    )
    assert "truncated or damaged" in json.loads(done.stdout)["rejected"]
    assert _no_reader(trap)


async def test_huge_declared_dimensions_are_refused_before_decoding(tmp_path: Path) -> None:
    # Decoding one 16000×16000 picture would need ~400 MB; the cap refuses it on the header.
    path = raw_avi_declaring(tmp_path / "huge.avi", 16000, 16000)
    assert await _refused(path) == "The video is 16000×16000; the limit is 7680×4320."


async def test_impossible_dimensions_are_refused(tmp_path: Path) -> None:
    # 100000×100000 is past ffmpeg's own sanity limit: it reports no size at all.
    path = raw_avi_declaring(tmp_path / "impossible.avi", 100000, 100000)
    assert await _refused(path) == "The video's picture size could not be read."


async def test_pixel_cap_applies_to_sizes_within_each_side(tmp_path: Path) -> None:
    path = mp4(tmp_path / "good.mp4", seconds=1)
    limits = dataclasses.replace(LIMITS, max_pixels=320 * 200)
    assert await _refused(path, limits) == (
        "The video has 76,800 pixels per picture; the limit is 64,000."
    )


async def test_too_many_streams(tmp_path: Path) -> None:
    path = tmp_path / "many.mkv"
    maps = ["-map", "0:v", *["-map", "1:a"] * 3]
    ffmpeg(*picture(seconds=1), *tone(1), *maps, *H264, *AAC, str(path))
    limits = dataclasses.replace(LIMITS, max_streams=3)
    assert await _refused(path, limits) == "The file has 4 streams; the limit is 3."


async def test_longer_than_the_duration_cap(tmp_path: Path) -> None:
    path = mp4(tmp_path / "long.mp4", seconds=3)
    limits = dataclasses.replace(LIMITS, max_duration_seconds=2)
    assert await _refused(path, limits) == "The video is 3.0 s long; the limit is 2.0 s."


async def test_faster_than_the_frame_rate_cap(tmp_path: Path) -> None:
    path = mp4(tmp_path / "fast.mp4", fps=60, seconds=1)
    limits = dataclasses.replace(LIMITS, max_fps=50)
    assert await _refused(path, limits) == (
        "The video runs at 60 frames per second; the limit is 50."
    )


async def test_a_probe_that_takes_too_long_is_killed(tmp_path: Path) -> None:
    path = mp4(tmp_path / "good.mp4", seconds=1)
    assert await _refused(path, within=0.01) == "Probing the file took too long (over 0.01 s)."
