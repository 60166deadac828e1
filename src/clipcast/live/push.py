"""Sending a feed from any byte stream (ffmpeg's stdout) over the ingest WebSocket: what
`clipcast live push` runs. A client of the service, not part of it.

    ffmpeg -re -i INPUT -c:v libx264 -preset veryfast -tune zerolatency -g 60 \\
        -force_key_frames "expr:gte(t,n_forced*2)" -c:a aac \\
        -f mpegts -muxdelay 0 -muxpreload 0 - | clipcast live push STREAM_ID --key live_…
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CHUNK = 64 * 1024


def ingest_url(server: str, stream_id: str) -> str:
    scheme, _, rest = server.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/api/v1/streams/{stream_id}/ingest"


async def push(
    url: str,
    credential: str,
    chunks: AsyncIterator[bytes],
    on_message: Callable[[dict[str, Any]], None] = lambda _m: None,
) -> dict[str, Any] | None:
    """Send every chunk, then say the feed ended; the server's last message (`ended` with
    the clip count, or `error`), or None if the connection dropped without one."""
    headers = {"Authorization": f"Bearer {credential}"}
    async with connect(url, additional_headers=headers, max_size=2**20) as ws:
        last: dict[str, Any] | None = None

        def seen(message: dict[str, Any]) -> None:
            nonlocal last
            last = message
            on_message(message)

        listening = asyncio.create_task(_listen(ws, seen))
        try:
            await _send_all(ws, chunks)
            await asyncio.wait_for(asyncio.shield(listening), 60)
        except ConnectionClosed:
            await listening
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
        return last


async def _send_all(ws: ClientConnection, chunks: AsyncIterator[bytes]) -> None:
    async for chunk in chunks:
        await ws.send(chunk)
    await ws.send(json.dumps({"type": "end"}))


async def _listen(ws: ClientConnection, seen: Callable[[dict[str, Any]], None]) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for message in ws:
            if isinstance(message, str):
                seen(json.loads(message))


async def read_stream(reader: asyncio.StreamReader, size: int = CHUNK) -> AsyncIterator[bytes]:
    while chunk := await reader.read(size):
        yield chunk


async def stdin_chunks(size: int = CHUNK) -> AsyncIterator[bytes]:
    """Standard input as it comes (a pipe from ffmpeg), without blocking the loop."""
    import sys

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=size)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    async for chunk in read_stream(reader, size):
        yield chunk
