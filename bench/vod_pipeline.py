"""VOD pipeline figures: upload-complete → ready, and → first playable, beside bare ffmpeg.

A 60 s 1080p30 source (testsrc2 + tone, made once and cached) goes through real `clipcast
serve` processes (embedded mode: SQLite, local disk, in-process workers) by tus upload, three
ways: encoded in one piece by one worker (the default: one ffmpeg run for the whole ladder,
the lowest rung and the audio published while it runs); cut into chunks
(`CLIPCAST_CHUNK_SECONDS`) with one worker; chunked with two workers (a second process on the
same data directory: `clipcast worker --role transcode`).

The anchor for ready, measured in the same run on the same machine before each of them, is
one bare ffmpeg process making the same rungs from the same argv builder clipcast uses
(`transcoding.argv.build_argv`, every rung and the audio in one run). First playable is put
beside bare ffmpeg making only what playback needs: the lowest rung and the audio. Times are
read by polling the API every 0.2 s, so each is ± 0.1 s.

    .venv/bin/python bench/vod_pipeline.py [--seconds 60] [--height 1080] [--chunk-seconds 30]

Goals (issue 2, 2 cores): clipcast / bare ffmpeg ≤ 1.10 (one piece, 1 worker); first
playable ≤ 10 s. With 2 cores, two workers cannot do much better than one: each ffmpeg run
already uses both.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clipcast import client
from clipcast.devserver import running_server
from clipcast.transcoding.argv import build_argv
from clipcast.transcoding.ladder import Ladder, Rung, build_ladder

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CACHE = Path(tempfile.gettempdir()) / "clipcast-bench"
LADDER = [1080, 720, 480, 360, 240]
PRESET = "veryfast"  # clipcast's default x264 preset
# Figures are ± half of this; asking much more often would take CPU from the encode measured.
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Scenario:
    name: str
    chunk_seconds: int  # 0: one piece
    workers: int


@dataclass(frozen=True)
class Figures:
    upload: float  # seconds of tus upload over loopback
    first_playable: float  # upload complete → playable
    ready: float  # upload complete → ready


def ladder_for(height: int) -> Ladder:
    """The rungs clipcast makes for a 16:9 30 fps source with sound."""
    return build_ladder(height * 16 // 9, height, True, True, LADDER, fps=30)


def make_source(seconds: int, height: int) -> Path:
    width = height * 16 // 9
    path = CACHE / f"source-{seconds}s-{height}p30.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [FFMPEG, "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "fast", "-crf", "20", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", str(path)],
        check=True,
    )  # fmt: skip
    return path


def bare_ffmpeg(source: Path, out: Path, rungs: list[Rung]) -> float:
    """Wall seconds for one bare ffmpeg run making `rungs`: clipcast's own argv, run by hand."""
    argv = build_argv(
        ffmpeg=FFMPEG,
        source=source,
        container="mov",
        source_fps=30,
        rungs=rungs,
        out_dir=out,
        preset=PRESET,
    )
    for rung in rungs:
        (out / rung.name).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)  # stdout: -progress lines
    elapsed = time.perf_counter() - start
    shutil.rmtree(out)
    return elapsed


def _has_worker_command() -> bool:
    exe = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"
    helped = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    return " worker " in helped.stdout


@contextlib.contextmanager
def _second_worker(data_dir: Path, env: dict[str, str]) -> Iterator[None]:
    """Another process taking transcode jobs from the same database and media directory."""
    if not _has_worker_command():
        with running_server(data_dir, env):
            yield
        return
    exe = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"
    full_env = {**os.environ, "CLIPCAST_DATA_DIR": str(data_dir), **env}
    with (data_dir.parent / "worker.log").open("wb") as log:
        proc = subprocess.Popen(
            [exe, "worker", "--role", "transcode"], env=full_env, stdout=log, stderr=log
        )
        try:
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def clipcast_run(source: Path, work: Path, ladder: list[int], scenario: Scenario) -> Figures:
    env = {
        "CLIPCAST_LADDER": str(ladder),
        # The default: a faster poll shaves a fraction of a second off the pick-up and costs
        # CPU the encode would otherwise have for the whole run.
        "CLIPCAST_WORKER_POLL_SECONDS": "0.5",
        "CLIPCAST_CHUNK_SECONDS": str(scenario.chunk_seconds),
    }
    data = work / "data"
    work.mkdir(parents=True, exist_ok=True)
    with running_server(data, env) as url, contextlib.ExitStack() as extra:
        for _ in range(scenario.workers - 1):
            extra.enter_context(_second_worker(data, env))
        return _upload_and_wait(url, source)


def _upload_and_wait(url: str, source: Path) -> Figures:
    account = {"username": "bench", "password": "bench password"}
    httpx.post(f"{url}/api/v1/auth/register", json=account)
    token = client.login(url, account["username"], account["password"])
    t0 = time.perf_counter()
    meta = {"filename": source.name, "title": "bench"}
    video_id = client.upload(url, token, source, meta, lambda *_: None)
    uploaded = time.perf_counter()
    playable = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            video = http.get(f"/api/v1/videos/{video_id}").json()
            now = time.perf_counter()
            if video["playable"] and playable is None:
                playable = now
            if video["state"] in ("ready", "failed"):
                break
            time.sleep(POLL_SECONDS)
    if video["state"] != "ready":
        raise SystemExit(f"clipcast failed: {video['failure_reason']}")
    return Figures(uploaded - t0, (playable or now) - uploaded, now - uploaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--chunk-seconds", type=int, default=30)
    args = parser.parse_args()
    ladder = ladder_for(args.height)
    source = make_source(args.seconds, args.height)
    scenarios = [
        Scenario("not chunked, 1 worker", 0, 1),
        Scenario(f"chunked ({args.chunk_seconds} s), 1 worker", args.chunk_seconds, 1),
        Scenario(f"chunked ({args.chunk_seconds} s), 2 workers", args.chunk_seconds, 2),
    ]
    print(
        f"source: {args.seconds} s {args.height}p30, {source.stat().st_size / 1e6:.1f} MB; "
        f"rungs {[r.name for r in ladder.all]}; {os.cpu_count()} cores; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        first_anchor = bare_ffmpeg(source, work / "bare-first", ladder.first)
        resolutions = [r.resolution for r in ladder.video]
        for number, scenario in enumerate(scenarios):
            bare = bare_ffmpeg(source, work / "bare", ladder.all)
            got = clipcast_run(source, work / f"run{number}", resolutions, scenario)
            goal = "≤ 1.10" if not scenario.chunk_seconds else ""
            rows.append((f"ready, {scenario.name} (s)", got.ready, bare, goal))
            rows.append(
                (
                    f"first playable, {scenario.name} (s)",
                    got.first_playable,
                    first_anchor,
                    "≤ 10 s" if not scenario.chunk_seconds else "",
                )
            )
            shutil.rmtree(work / f"run{number}", ignore_errors=True)
    print(f"{'figure':<52}{'clipcast':>10}{'anchor':>10}{'ratio':>8}  goal")
    for figure, ours, anchor, goal in rows:
        print(f"{figure:<52}{ours:>10.1f}{anchor:>10.1f}{ours / anchor:>8.2f}  {goal}")
    print(f"(load after: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
