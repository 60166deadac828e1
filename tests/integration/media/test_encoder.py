"""The transcoder against the real ffmpeg: exact 2-second clips, keyframes, the watchdog."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import av
import pytest

from clipcast.adapters.media.ffmpeg import FfmpegFailed, FfmpegStalled, ffmpeg_exe, run_ffmpeg
from clipcast.adapters.media.probe import ProbeResult, probe_file
from clipcast.transcoding.argv import build_argv
from clipcast.transcoding.encoder import EncodedRendition, encode
from clipcast.transcoding.ladder import build_ladder
from tests.integration.media.sources import (
    AAC,
    H264,
    LIMITS,
    ffmpeg,
    mp4,
    odd_webm,
    picture,
    rotated_mp4,
    tone,
)

pytestmark = pytest.mark.slow
FRAME = 1 / 30
PRESET = "veryfast"  # ultrafast would drop to Constrained Baseline whatever -profile says


async def _encode_all(source: Path, out: Path, ladder: list[int]) -> list[EncodedRendition]:
    """As the service does: the lowest rung and the audio first (playable early), then the
    rest; pictures first, lowest first, then the audio."""
    probe = await probe_file(source, LIMITS, timeout=10)
    rungs = build_ladder(probe.width, probe.height, probe.has_video, probe.has_audio, ladder)
    encoded = []
    for batch, rest in ((rungs.first, "a"), (rungs.rest, "b")):
        if batch:
            encoded += await encode(
                source, probe, batch, out / rest, preset=PRESET, stall_seconds=10
            )
    return sorted(encoded, key=lambda r: (not r.rung.has_video, r.rung.resolution))


async def _pictures(source: Path, out: Path, ladder: list[int]) -> list[EncodedRendition]:
    return [r for r in await _encode_all(source, out, ladder) if r.rung.has_video]


def _clip_packets(rendition: EncodedRendition, index: int) -> list[tuple[str, bool]]:
    """(stream type, keyframe) of each packet of one clip, read as a player does: the init
    segment, then the clip."""
    joined = rendition.directory / f"joined_{index}.mp4"
    joined.write_bytes(rendition.init_path.read_bytes() + rendition.clips[index].path.read_bytes())
    with av.open(str(joined), format="mov") as box:
        return [(p.stream.type, p.is_keyframe) for p in box.demux() if p.size]


def _audio_of(rendition: EncodedRendition) -> tuple[str, int, int]:
    with av.open(str(rendition.init_path), format="mov") as box:
        ctx = box.streams.audio[0].codec_context
        return ctx.name, ctx.sample_rate, ctx.channels


def _first_frame(rendition: EncodedRendition) -> tuple[int, int, int]:
    """Width, height and rotation of the first picture of the first clip."""
    joined = rendition.directory / "joined_first.mp4"
    joined.write_bytes(rendition.init_path.read_bytes() + rendition.clips[0].path.read_bytes())
    with av.open(str(joined), format="mov") as box:
        frame = next(box.decode(video=0))
        return frame.width, frame.height, frame.rotation


async def test_clips_are_exactly_two_seconds_and_start_on_keyframes(tmp_path: Path) -> None:
    source = mp4(tmp_path / "src.mp4", size="320x240", seconds=5)
    renditions = await _pictures(source, tmp_path / "out", [240, 180, 120])
    assert [(r.rung.name, r.rung.width, r.rung.height) for r in renditions] == [
        ("120p", 160, 120),
        ("180p", 240, 180),
        ("240p", 320, 240),
    ]
    for rendition in renditions:
        durations = [c.duration for c in rendition.clips]
        assert durations[:-1] == [2.0, 2.0]
        assert sum(durations) == pytest.approx(5.0, abs=FRAME)
        assert [c.offset for c in rendition.clips] == [0.0, 2.0, 4.0]
        for clip in rendition.clips:
            video = [key for kind, key in _clip_packets(rendition, clip.index) if kind == "video"]
            assert video[0]
            assert sum(video) == 1  # one closed GOP per clip
            assert clip.byte_size == clip.path.stat().st_size > 0
        assert rendition.codecs.startswith("avc1.64")
        assert "mp4a" not in rendition.codecs  # the sound is a rendition of its own
        assert rendition.frame_rate == 30.0
        assert rendition.bandwidth >= rendition.average_bandwidth > 0


async def test_the_audio_rendition_is_stereo_48k_aac_and_pictures_are_silent(
    tmp_path: Path,
) -> None:
    source = mp4(tmp_path / "src.mp4", seconds=2)
    picture, audio = await _encode_all(source, tmp_path / "out", [240])
    assert (audio.rung.name, audio.codecs, audio.frame_rate) == ("audio", "mp4a.40.2", None)
    assert _audio_of(audio) == ("aac", 48000, 2)
    assert {kind for kind, _ in _clip_packets(audio, 0)} == {"audio"}
    assert {kind for kind, _ in _clip_packets(picture, 0)} == {"video"}


async def test_audio_only_source(tmp_path: Path) -> None:
    source = tmp_path / "song.m4a"
    ffmpeg(*tone(5), *AAC, str(source))
    (rendition,) = await _encode_all(source, tmp_path / "out", [240])
    assert rendition.rung.name == "audio"
    assert rendition.codecs == "mp4a.40.2"
    assert rendition.frame_rate is None
    assert sum(c.duration for c in rendition.clips) == pytest.approx(5.0, abs=0.05)
    assert all(c.duration == pytest.approx(2.0, abs=0.03) for c in rendition.clips[:-1])


async def test_video_only_source(tmp_path: Path) -> None:
    source = tmp_path / "silent.mp4"
    ffmpeg(*picture(seconds=3), *H264, str(source))
    (rendition,) = await _encode_all(source, tmp_path / "out", [240])
    assert "mp4a" not in rendition.codecs
    assert [c.duration for c in rendition.clips] == [2.0, 1.0]


async def test_rotated_source_gives_upright_portrait_rungs(tmp_path: Path) -> None:
    landscape = mp4(tmp_path / "landscape.mp4", size="320x240", seconds=2)
    source = rotated_mp4(tmp_path / "portrait.mp4", landscape, 90)
    renditions = await _pictures(source, tmp_path / "out", [240, 180])
    assert [(r.rung.width, r.rung.height) for r in renditions] == [(180, 240), (240, 320)]
    assert _first_frame(renditions[-1]) == (240, 320, 0)


async def test_odd_sized_source(tmp_path: Path) -> None:
    (rendition,) = await _pictures(odd_webm(tmp_path / "odd.webm", 2), tmp_path / "out", [240])
    assert _first_frame(rendition) == (320, 240, 0)


async def test_variable_frame_rate_source_becomes_constant(tmp_path: Path) -> None:
    source = tmp_path / "vfr.mkv"
    drop = ["-vf", "select='lt(mod(n,10),6)'", "-fps_mode", "vfr"]
    ffmpeg(*picture(seconds=5), *drop, *H264, str(source))
    (rendition,) = await _encode_all(source, tmp_path / "out", [240])
    assert [c.duration for c in rendition.clips][:2] == [2.0, 2.0]
    assert [kind for kind, _ in _clip_packets(rendition, 0)].count("video") == 60


async def test_progress_is_reported_up_to_done(tmp_path: Path) -> None:
    source = mp4(tmp_path / "src.mp4", seconds=2)
    probe = await probe_file(source, LIMITS, timeout=10)
    seen: list[float] = []

    async def record(fraction: float) -> None:
        seen.append(fraction)

    rungs = build_ladder(probe.width, probe.height, True, True, [240]).all
    await encode(
        source, probe, rungs, tmp_path / "o", preset=PRESET, stall_seconds=10, on_progress=record
    )
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def _children() -> list[str]:
    """ffmpeg processes whose parent is this test process (zombies included).

    Only ffmpeg counts: a full run also has session servers (SeaweedFS, clipcast) as children.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, fields = (
                stat[stat.index("(") + 1 : stat.rindex(")")],
                stat[stat.rindex(")") + 2 :].split(),
            )
            if int(fields[1]) == os.getpid() and name.startswith("ffmpeg"):
                found.append(f"{entry.name} {name} {fields[0]}")
    return found


def _argv_reading(source: Path, out: Path) -> list[str]:
    rungs = build_ladder(320, 240, True, False, [240]).video
    return build_argv(
        ffmpeg=ffmpeg_exe(),
        source=source,
        container="mpegts",
        source_fps=30,
        rungs=rungs,
        out_dir=out,
        preset="ultrafast",
    )


async def test_watchdog_kills_ffmpeg_waiting_on_input_that_never_comes(tmp_path: Path) -> None:
    fifo = tmp_path / "upload.ts"
    os.mkfifo(fifo)  # nobody ever writes: ffmpeg blocks opening it and prints nothing
    (tmp_path / "out" / "240p").mkdir(parents=True)
    assert _children() == []
    with pytest.raises(FfmpegStalled):
        await run_ffmpeg(
            _argv_reading(fifo, tmp_path / "out"), duration=5, stall_seconds=1, on_progress=None
        )
    assert _children() == []


async def test_watchdog_kills_ffmpeg_that_repeats_the_same_progress(tmp_path: Path) -> None:
    # After 5 frames the source waits 100 s for the next: ffmpeg keeps printing the same
    # progress block twice a second, which must not count as progress.
    gap = "testsrc2=size=64x48:rate=5,setpts='if(gte(N,5),PTS+100/TB,PTS)',realtime=limit=200"
    argv = [ffmpeg_exe(), "-nostdin", "-f", "lavfi", "-i", gap, "-f", "null", "-",
            "-progress", "pipe:1", "-stats_period", "0.2"]  # fmt: skip
    with pytest.raises(FfmpegStalled):
        await run_ffmpeg(argv, duration=None, stall_seconds=1.5, on_progress=None)
    assert _children() == []


async def test_cancelling_the_run_kills_ffmpeg(tmp_path: Path) -> None:
    fifo = tmp_path / "upload.ts"
    os.mkfifo(fifo)
    (tmp_path / "out" / "240p").mkdir(parents=True)
    run = asyncio.create_task(
        run_ffmpeg(
            _argv_reading(fifo, tmp_path / "out"), duration=5, stall_seconds=60, on_progress=None
        )
    )
    await asyncio.sleep(0.3)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert _children() == []


async def test_a_failing_ffmpeg_explains_itself(tmp_path: Path) -> None:
    whole = mp4(tmp_path / "whole.mp4").read_bytes()
    broken = tmp_path / "half.mp4"
    broken.write_bytes(whole[: len(whole) // 2])
    probe = ProbeResult("mov", 3.0, True, False, 320, 240, 0, 30.0, "h264", None, 0, 0, 1)
    rungs = build_ladder(320, 240, True, False, [240]).video
    with pytest.raises(FfmpegFailed) as failed:
        await encode(broken, probe, rungs, tmp_path / "out", preset=PRESET, stall_seconds=10)
    assert failed.value.returncode != 0
    assert failed.value.summary == "moov atom not found"
    assert "moov atom not found" in failed.value.stderr_tail
    assert str(tmp_path) not in failed.value.summary
    assert _children() == []
