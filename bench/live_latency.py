"""Live latency, glass to glass in media time: our pointer-walking player beside hls.js with its
default live settings, on the same stream, in the same run.

A Python source draws the wall clock into each frame as a pixel pattern (32 blocks, one bit
each: milliseconds since the run started) the moment it makes the frame, at real time; ffmpeg
encodes it (x264, a keyframe every 2 s) and `clipcast.live.push` sends it over the ingest
WebSocket of a real `clipcast serve` (embedded mode). In Chromium, every frame the player
presents (requestVideoFrameCallback) is drawn to a canvas and its clock read back: latency =
now − the clock in the picture. No OCR, no player's own estimate. A stall is the video
element waiting (from `waiting` to `playing`) for 100 ms or more once playing; join → first
frame is navigation start → the first presented frame, over fresh page loads after the
steady run.

    .venv/bin/python bench/live_latency.py [--seconds 300] [--joins 10]

Goals (issue 12, this machine): p50 ≤ 2.5 s, p95 ≤ 3.5 s, no stalls over 5 minutes; join →
first frame p95 ≤ 2 s. The anchor beside it: hls.js defaults (≈ 9–10 s here, field-notes.md).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg
import numpy as np
from playwright.async_api import Browser, Page, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clipcast.devserver import running_server
from clipcast.live.push import ingest_url, push

WIDTH, HEIGHT, FPS = 320, 180, 25
BITS, BLOCK = 32, 20  # two rows of 16 blocks of 20×20 px
VISIBLE_STALL_MS = 100
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
]

# Injected into every page: reads the clock out of each presented frame.
READER = """
(() => {
  window.__bench = { samples: [], first: null, stalls: [], playing: false };
  const origin = %(origin)d;
  function watch(video) {
    const canvas = document.createElement("canvas");
    canvas.width = %(width)d; canvas.height = %(height)d;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    let waitingSince = null;
    video.addEventListener("playing", () => {
      window.__bench.playing = true;
      if (waitingSince !== null) window.__bench.stalls.push(performance.now() - waitingSince);
      waitingSince = null;
    });
    video.addEventListener("waiting", () => {
      if (window.__bench.playing && waitingSince === null) waitingSince = performance.now();
    });
    const onFrame = (now, meta) => {
      if (window.__bench.first === null) window.__bench.first = performance.now();
      ctx.drawImage(video, 0, 0, %(width)d, %(height)d);
      const px = ctx.getImageData(0, 0, %(width)d, %(block)d * 2).data;
      let value = 0;
      for (let bit = 0; bit < %(bits)d; bit++) {
        const x = (bit %% 16) * %(block)d + %(block)d / 2;
        const y = Math.floor(bit / 16) * %(block)d + %(block)d / 2;
        const on = px[(y * %(width)d + x) * 4] > 128;
        value = value * 2 + (on ? 1 : 0);
      }
      const shown = performance.timeOrigin + meta.expectedDisplayTime;
      window.__bench.samples.push((shown - (origin + value)) / 1000);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  const found = () => document.querySelector("video");
  const wait = () => (found() ? watch(found()) : setTimeout(wait, 10));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wait);
  else wait();
})();
"""

HLS_DEFAULTS_PAGE = """
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.replaceChildren(video);
  const script = document.createElement("script");
  script.src = "/static/vendor/hls.min.js";
  script.onload = () => { const hls = new Hls(); hls.loadSource(%r); hls.attachMedia(video); };
  document.head.append(script);
"""


def frame(ms: int) -> bytes:
    """A gray picture with `ms` drawn as 32 black/white blocks across its top."""
    picture = np.full((HEIGHT, WIDTH), 96, dtype=np.uint8)
    for bit in range(BITS):
        on = (ms >> (BITS - 1 - bit)) & 1
        x, y = (bit % 16) * BLOCK, (bit // 16) * BLOCK
        picture[y : y + BLOCK, x : x + BLOCK] = 235 if on else 16
    return picture.tobytes()


async def source(origin_ms: int, seconds: float) -> AsyncIterator[bytes]:
    """The clock-stamped source, encoded, as MPEG-TS chunks at real time."""
    argv = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        *("-hide_banner", "-loglevel", "error"),
        *("-f", "rawvideo", "-pix_fmt", "gray", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS)),
        *("-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"),
        *("-pix_fmt", "yuv420p", "-g", str(2 * FPS), "-keyint_min", str(2 * FPS)),
        *("-sc_threshold", "0", "-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0"),
        *("-flush_packets", "1", "-"),
    ]
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    feeder = asyncio.create_task(_draw(proc.stdin, origin_ms, seconds))
    try:
        while chunk := await proc.stdout.read(65536):
            yield chunk
    finally:
        feeder.cancel()
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def _draw(stdin: asyncio.StreamWriter, origin_ms: int, seconds: float) -> None:
    start = time.monotonic()
    for n in range(int(seconds * FPS)):
        await asyncio.sleep(max(0.0, start + n / FPS - time.monotonic()))
        stdin.write(frame(int(time.time() * 1000) - origin_ms))  # the glass: now
        await stdin.drain()
    stdin.close()


async def open_stream(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        body = {"username": "bench", "password": "bench password 1"}
        await http.post("/api/v1/auth/register", json=body)
        token = (await http.post("/api/v1/auth/token", json=body)).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        response = await http.post("/api/v1/streams", json={"title": "bench"}, headers=auth)
        created: dict[str, Any] = response.json()
        return created


async def until_live(url: str, stream_id: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(300):
            current = (await http.get(f"/api/v1/streams/{stream_id}/current")).json()
            if current["index"] >= 1 and (await http.get(current["document"])).status_code == 200:
                return
            await asyncio.sleep(0.2)
    raise RuntimeError("the stream never went live")


async def ours(browser: Browser, url: str, stream_id: str, origin: int) -> Page:
    page = await (await browser.new_context(base_url=url)).new_page()
    await page.add_init_script(_reader(origin))
    await page.goto(f"/live/{stream_id}")
    return page


async def hls_defaults(browser: Browser, url: str, stream_id: str, origin: int) -> Page:
    page = await (await browser.new_context(base_url=url)).new_page()
    await page.add_init_script(_reader(origin))
    await page.goto("/healthz")
    await page.evaluate(HLS_DEFAULTS_PAGE % f"{url}/cdn/videos/{stream_id}/master.m3u8")
    return page


def _reader(origin: int) -> str:
    return READER % {
        "origin": origin,
        "width": WIDTH,
        "height": HEIGHT,
        "block": BLOCK,
        "bits": BITS,
    }


async def publish_delays(url: str, stream_id: str) -> list[float]:
    """For each clip: its document's publication time less the wall time of its last frame
    (by the server's own program date-time): the pipeline's part of the latency."""
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for index in range(10_000):
            response = await http.get(f"/cdn/videos/{stream_id}/live/{index:06d}.json")
            if response.status_code != 200 or response.json()["ended"]:
                break
            doc = response.json()
            end = _time(doc["program_date_time"]) + doc["duration"]
            out.append(_time(doc["published_at"]) - end)
    return out


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def state(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = await page.evaluate("window.__bench")
    return found


def summary(samples: list[float]) -> str:
    if len(samples) < 20:
        return "too few frames"
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49]:.2f} s  p95 {cuts[94]:.2f} s  max {max(samples):.2f} s"


async def joins(browser: Browser, url: str, stream_id: str, origin: int, count: int) -> list[float]:
    """Seconds from navigation start to the first presented frame, over fresh page loads."""
    out = []
    for _ in range(count):
        page = await ours(browser, url, stream_id, origin)
        for _ in range(200):
            first = (await state(page))["first"]
            if first is not None:
                out.append(first / 1000)
                break
            await asyncio.sleep(0.05)
        await page.context.close()
        await asyncio.sleep(0.5)
    return out


async def run(seconds: float, join_count: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="clipcast-live-bench-"))
    origin = int(time.time() * 1000)
    try:
        with running_server(work / "data") as url:
            stream = await open_stream(url)
            feed = asyncio.create_task(
                push(
                    ingest_url(url, stream["id"]),
                    stream["stream_key"],
                    source(origin, seconds + 60 + join_count * 4),
                )
            )
            await until_live(url, stream["id"])
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
                )
                mine = await ours(browser, url, stream["id"], origin)
                theirs = await hls_defaults(browser, url, stream["id"], origin)
                await asyncio.sleep(15)  # hls.js needs its three segments; both settle
                for page in (mine, theirs):
                    await page.evaluate("window.__bench.samples = []; window.__bench.stalls = []")
                await asyncio.sleep(seconds)
                ours_state, hls_state = await state(mine), await state(theirs)
                await theirs.context.close()
                await mine.context.close()
                joined = await joins(browser, url, stream["id"], origin, join_count)
                await browser.close()
            feed.cancel()
            delays = await publish_delays(url, stream["id"])
            report(seconds, ours_state, hls_state, joined)
            print(f"  clip end → document published (server): {summary(delays)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(
    seconds: float, mine: dict[str, Any], theirs: dict[str, Any], joined: list[float]
) -> None:
    print(f"live latency, glass to glass, {seconds:.0f} s at {WIDTH}x{HEIGHT} {FPS} fps")
    for name, found in (("clipcast player", mine), ("hls.js defaults", theirs)):
        # A `waiting` event resolved within a frame or two is no stall anyone saw.
        seen = [ms / 1000 for ms in found["stalls"] if ms >= VISIBLE_STALL_MS]
        print(
            f"  {name:16} {summary(found['samples'])}  frames {len(found['samples'])}"
            f"  stalls ≥ {VISIBLE_STALL_MS} ms: {len(seen)} ({sum(seen):.1f} s)"
        )
    if joined:
        print(
            f"  join → first frame ({len(joined)} joins): p50 {statistics.median(joined):.2f} s"
            f"  p95 {nearest_rank(joined, 0.95):.2f} s  max {max(joined):.2f} s"
        )


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="steady measurement")
    parser.add_argument("--joins", type=int, default=10, help="fresh page loads to time")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.joins))


if __name__ == "__main__":
    main()
