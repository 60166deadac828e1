"""VOD pipeline figures: upload-complete → ready, and → first playable, beside bare ffmpeg.

A 60 s 1080p30 source (testsrc2 + tone, made once and cached) goes through a real `clipcast
serve` (embedded mode: SQLite, local disk, in-process worker) by tus upload. The anchor, measured
in the same run on the same machine, is one bare ffmpeg process making the same five rungs with
the same encoder settings (libx264 veryfast, capped CRF 23, closed 2 s GOP, AAC, HLS fMP4).

    .venv/bin/python bench/vod_pipeline.py [--seconds 60] [--height 1080]

Goals (issue 2, 2 cores): clipcast / bare ffmpeg ≤ 1.10; first playable ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clipcast import client  # noqa: E402
from clipcast.transcoding.ladder import Rung, build_ladder  # noqa: E402
from tests.e2e.server import running_server  # noqa: E402

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CACHE = Path(tempfile.gettempdir()) / "clipcast-bench"
LADDER = [1080, 720, 480, 360, 240]


def rungs_for(height: int) -> list[Rung]:
    """The rungs clipcast makes for a 16:9 30 fps source: the anchor encodes exactly these."""
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
    )
    return path


def bare_ffmpeg(source: Path, out: Path, rungs: list[Rung]) -> float:
    """Wall seconds for one bare ffmpeg run making every rung (the anchor)."""
    n = len(rungs)
    graph = f"[0:v]fps=30,split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale={r.width}:{r.height},setsar=1,format=yuv420p[v{i}]"
        for i, r in enumerate(rungs)
    )
    argv = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
            "-filter_complex", graph]
    for i, r in enumerate(rungs):
        d = out / r.name
        d.mkdir(parents=True, exist_ok=True)
        argv += ["-map", f"[v{i}]", "-map", "0:a:0",
                 "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
                 "-crf", "23", "-maxrate", str(r.maxrate), "-bufsize", str(r.bufsize),
                 "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
                 "-force_key_frames", "expr:gte(t,n_forced*2)",
                 "-c:a", "aac", "-b:a", str(r.audio_bitrate), "-ar", "48000", "-ac", "2",
                 "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
                 "-hls_segment_type", "fmp4", "-hls_segment_filename", str(d / "%06d.m4s"),
                 str(d / "index.m3u8")]
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - start


def clipcast_run(source: Path, work: Path, ladder: list[int]) -> tuple[float, float, float]:
    """(upload seconds, upload complete → first playable, upload complete → ready)."""
    env = {"CLIPCAST_LADDER": str(ladder), "CLIPCAST_WORKER_POLL_SECONDS": "0.05"}
    with running_server(work / "data", env) as url:
        httpx.post(f"{url}/api/v1/auth/register", json={"username": "bench", "password": "bench password"})
        token = client.login(url, "bench", "bench password")
        t0 = time.perf_counter()
        video_id = client.upload(url, token, source, {"filename": source.name, "title": "bench"}, lambda *_: None)
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
                time.sleep(0.05)
        if video["state"] != "ready":
            raise SystemExit(f"clipcast failed: {video['failure_reason']}")
        return uploaded - t0, (playable or now) - uploaded, now - uploaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args()
    rungs = rungs_for(args.height)
    source = make_source(args.seconds, args.height)
    print(f"source: {args.seconds} s {args.height}p30, {source.stat().st_size / 1e6:.1f} MB; "
          f"rungs {[r.name for r in rungs]}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bare = bare_ffmpeg(source, work / "bare", rungs)
        shutil.rmtree(work / "bare")
        upload_s, first, ready = clipcast_run(source, work, [r.resolution for r in rungs])
    print(f"{'figure':<40}{'clipcast':>12}{'anchor':>12}{'ratio':>8}")
    print(f"{'all rungs (s): ready vs bare ffmpeg':<40}{ready:>12.1f}{bare:>12.1f}{ready / bare:>8.2f}")
    print(f"{'first playable after upload (s)':<40}{first:>12.1f}{'goal 10':>12}")
    print(f"{'tus upload over loopback (s)':<40}{upload_s:>12.1f}")


if __name__ == "__main__":
    main()
