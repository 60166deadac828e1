"""Live chat in step with the picture: how late (never early) each viewer's page shows each
message against the moment its sender saw, and how soon the streamer's page shows it.

A real `clipcast serve` (embedded mode); in Chromium, the streamer goes live from the go-live
page (the fake camera and microphone) and VIEWERS anonymous pages watch with the
pointer-walking player. Messages go out over the chat WebSocket every EVERY seconds, taking
turns: the streamer (no position: placed where the camera is now, so every viewer holds it a
few seconds) and CHATTERS signed-in viewers, each claiming the position one of the watching
pages' players is at that instant (as that page would). Figures:

- late: for each message and viewer page, the media seconds between the sender's moment and
  the picture the page showed when the message appeared (its `late`, from the player's own
  buffer map); early: pages that showed a message before its moment (the goal is none);
- streamer's page: wall time from sending to the go-live page showing it;
- fan-out: wall time from sending to an anonymous socket receiving it.

`chat_sync()` is the measurement alone, for any run with watching pages (bench/live_latency.py
may call it with its own page and the stream owner's token).

    .venv/bin/python bench/live_chat.py [--seconds 120] [--viewers 3]

Goal (issue 12): late p95 ≤ 1 s, 0 early; the streamer's page < 1 s (the design's 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from clipcast.devserver import running_server

CHATTERS = 2
PASSWORD = "bench chat password"  # noqa: S105 - a throwaway account of this run
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
POSITION = "() => window.livePlayer && window.livePlayer.position()"


@dataclass
class Sent:
    kind: str  # "streamer" or "viewer"
    wall: float  # seconds since the epoch, when sent
    index: int = 0
    offset: float = 0.0
    fanned_out: float | None = None  # when the anonymous socket got it


@dataclass
class ChatFigures:
    sent: dict[str, Sent] = field(default_factory=dict)
    late: dict[str, list[float]] = field(default_factory=lambda: {"streamer": [], "viewer": []})
    jumped: list[float] = field(default_factory=list)  # released by a jump of the player
    early: int = 0
    unplaced: int = 0  # shown with their clip no longer in the page's buffer map
    missing: int = 0  # (message, page) pairs never shown
    streamer_page_ms: list[float] = field(default_factory=list)
    refused: int = 0
    jumps: int = 0  # seeks of the watching players during the run (a jump skips held chat)


def chat_url(url: str, stream_id: str) -> str:
    return url.replace("http://", "ws://") + f"/api/v1/streams/{stream_id}/chat"


@contextlib.asynccontextmanager
async def socket(url: str, stream_id: str, token: str | None) -> AsyncIterator[ClientConnection]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with connect(chat_url(url, stream_id), additional_headers=headers) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        yield ws


async def chatter_tokens(url: str, count: int) -> list[str]:
    tokens = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(count):
            body = {"username": f"chat-{uuid.uuid4().hex[:8]}", "password": PASSWORD}
            assert (await http.post("/api/v1/auth/register", json=body)).status_code == 201
            tokens.append((await http.post("/api/v1/auth/token", json=body)).json()["access_token"])
    return tokens


async def _answers(ws: ClientConnection, figures: ChatFigures, pending: dict[str, Sent]) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        sent = pending.pop(frame.get("nonce") or "", None)
        if sent is None:
            continue
        if frame["type"] == "accepted":
            message = frame["message"]
            sent.index, sent.offset = message["index"], message["offset"]
            figures.sent[message["id"]] = sent
        else:
            figures.refused += 1


async def _fan_out(ws: ClientConnection, seen: dict[str, float]) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame["type"] == "message":
            seen.setdefault(frame["message"]["id"], time.time())


async def chat_sync(
    url: str,
    stream_id: str,
    pages: list[Page],
    *,
    seconds: float,
    owner_token: str | None = None,
    streamer_page: Page | None = None,
    every: float = 0.5,
) -> ChatFigures:
    """Send chat for `seconds` and measure where `pages` (watching the stream) showed it."""
    for page in pages:  # a player that falls too far behind jumps: count them
        await page.evaluate(
            "() => { window.__jumps = 0; document.getElementById('live-player')"
            ".addEventListener('seeking', () => { window.__jumps += 1; }); }"
        )
    figures = ChatFigures()
    pending: dict[str, Sent] = {}
    seen: dict[str, float] = {}
    tokens = await chatter_tokens(url, CHATTERS)
    senders = ([("streamer", owner_token)] if owner_token else []) + [("viewer", t) for t in tokens]
    async with contextlib.AsyncExitStack() as stack:
        listener = await stack.enter_async_context(socket(url, stream_id, None))
        sockets = [await stack.enter_async_context(socket(url, stream_id, t)) for _, t in senders]
        readers = [asyncio.create_task(_answers(ws, figures, pending)) for ws in sockets]
        readers.append(asyncio.create_task(_fan_out(listener, seen)))
        turns = zip(itertools.cycle(zip(senders, sockets, strict=True)), itertools.cycle(pages))
        deadline = time.monotonic() + seconds
        for ((kind, _), ws), page in turns:
            if time.monotonic() > deadline:
                break
            await _send(ws, kind, stream_id, page, pending)
            await asyncio.sleep(every)
        await asyncio.sleep(8)  # the last ones reach every page's picture
        for task in readers:
            task.cancel()
    for message_id, moment in seen.items():
        if message_id in figures.sent:
            figures.sent[message_id].fanned_out = moment
    await _collect(figures, pages, streamer_page)
    return figures


async def _send(
    ws: ClientConnection, kind: str, stream_id: str, page: Page, pending: dict[str, Sent]
) -> None:
    nonce = uuid.uuid4().hex
    frame: dict[str, Any] = {"type": "post", "text": f"{kind} {nonce[:6]}", "nonce": nonce}
    if kind == "viewer":
        at = await page.evaluate(POSITION)
        if not at:
            return
        frame["position"] = {"stream": stream_id, "index": at["index"], "offset": at["offset"]}
    pending[nonce] = Sent(kind=kind, wall=time.time())
    await ws.send(json.dumps(frame))


async def _collect(figures: ChatFigures, pages: list[Page], streamer_page: Page | None) -> None:
    for page in pages:
        figures.jumps += int(await page.evaluate("window.__jumps"))
        shown = {r["id"]: r for r in await page.evaluate("window.liveChat.shown")}
        for message_id, sent in figures.sent.items():
            record = shown.get(message_id)
            if record is None:
                figures.missing += 1
                continue
            at = record["at"]
            if at is not None and (at["index"], at["offset"]) < (sent.index, sent.offset):
                figures.early += 1
            if record["late"] is None:
                figures.unplaced += 1
            elif record["jumped"]:
                figures.jumped.append(record["late"])
            else:
                figures.late[sent.kind].append(record["late"])
    if streamer_page is not None:
        shown = {r["id"]: r for r in await streamer_page.evaluate("window.liveChat.shown")}
        for message_id, sent in figures.sent.items():
            if message_id in shown:
                figures.streamer_page_ms.append(shown[message_id]["wall"] - sent.wall * 1000)


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spread(values: list[float], unit: str, scale: float = 1.0) -> str:
    if not values:
        return "none"
    p50, p95 = nearest_rank(values, 0.5) * scale, nearest_rank(values, 0.95) * scale
    return f"p50 {p50:.2f} {unit}  p95 {p95:.2f} {unit}  max {max(values) * scale:.2f} {unit}"


def report_chat(figures: ChatFigures, pages: int) -> None:
    every = figures.late["streamer"] + figures.late["viewer"]
    fanned = [(s.fanned_out - s.wall) * 1000 for s in figures.sent.values() if s.fanned_out]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"chat sync: {len(figures.sent)} messages × {pages} viewer pages (load {load})")
    print(f"  late, in playback    {spread(every, 's')}  ({len(every)} shown)")
    print(f"  late, the streamer's {spread(figures.late['streamer'], 's')}")
    print(f"  late, other viewers' {spread(figures.late['viewer'], 's')}")
    print(f"  late, skipped over by a player's jump to the edge  {spread(figures.jumped, 's')}")
    print(
        f"  early {figures.early}   not placed {figures.unplaced}   never shown {figures.missing}"
        f"   refused {figures.refused}   player jumps {figures.jumps}"
    )
    print(f"  streamer's page (send → shown)  {spread(figures.streamer_page_ms, 'ms')}")
    print(f"  fan-out (send → a socket)       {spread(fanned, 'ms')}")


async def go_live(page: Page) -> tuple[str, str]:
    """Sign the streamer up, go live from the go-live page; (stream id, API token)."""
    name = f"streamer-{uuid.uuid4().hex[:6]}"
    await page.goto("/signup")
    await page.fill("input[name=username]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[data-auth] button[type=submit]")
    await page.wait_for_selector(f"[data-testid=username]:has-text('{name}')")
    await page.goto("/go-live")
    await page.fill("input[name=title]", "chat bench")
    await page.click("[data-start]")
    clips = "() => Number(document.body.dataset.liveClips || 0) >= 2"
    await page.wait_for_function(clips, timeout=60_000)
    stream_id = str(await page.evaluate("document.body.dataset.streamId"))
    response = await page.request.post(
        "/api/v1/auth/token", data={"username": name, "password": PASSWORD}
    )
    return stream_id, str((await response.json())["access_token"])


async def run(seconds: float, viewers: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="clipcast-chat-bench-"))
    try:
        with running_server(work / "data") as url:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
                )
                streamer = await (await browser.new_context(base_url=url)).new_page()
                stream_id, token = await go_live(streamer)
                pages = []
                for _ in range(viewers):
                    page = await (await browser.new_context(base_url=url)).new_page()
                    await page.goto(f"/live/{stream_id}")
                    pages.append(page)
                for page in pages:
                    await page.wait_for_function(
                        "() => !!(window.livePlayer && window.livePlayer.position())",
                        timeout=60_000,
                    )
                await asyncio.sleep(5)  # the players settle at their distance to the edge
                figures = await chat_sync(
                    url,
                    stream_id,
                    pages,
                    seconds=seconds,
                    owner_token=token,
                    streamer_page=streamer,
                )
                await browser.close()
        report_chat(figures, len(pages))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120, help="how long chat is sent")
    parser.add_argument("--viewers", type=int, default=3, help="watching pages")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.viewers))


if __name__ == "__main__":
    main()
