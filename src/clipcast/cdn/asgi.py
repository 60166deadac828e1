"""The CDN route of the embedded mode, as raw ASGI in front of the FastAPI app: `/cdn/…` is
answered without routing, dependencies or middleware (which cost more than the answer), from
the in-memory access and object caches; every other path goes on to the app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from clipcast.cdn.access import AccessCache, Grant, grant
from clipcast.cdn.caching import cache_control, content_type_for
from clipcast.cdn.objects import Found, ObjectCache
from clipcast.cdn.paths import PREFIX, MediaPath, parse_media_path
from clipcast.cdn.ranges import Unsatisfiable, etag_matches, parse_range, quote_etag

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]
Headers = list[tuple[bytes, bytes]]

_MISSING = json.dumps({"error": {"code": "media_not_found", "message": "No such media."}}).encode()
_NOT_ALLOWED = json.dumps(
    {"error": {"code": "method_not_allowed", "message": "Media is read with GET or HEAD."}}
).encode()
_JSON = (b"content-type", b"application/json")
_NO_STORE = (b"cache-control", b"no-store")


class MediaServer:
    """Serves one process's `/cdn/…` requests."""

    def __init__(
        self,
        *,
        access: AccessCache,
        objects: ObjectCache,
        secret: bytes,
        observers: Iterable[Callable[[str], None]] = (),
    ) -> None:
        self.access, self.objects, self._secret = access, objects, secret
        self._observers = list(observers)

    async def serve(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            allow = (b"allow", b"GET, HEAD")
            await _answer(send, 405, [_JSON, allow], _NOT_ALLOWED)
            return
        path = parse_media_path(scope["path"])
        found = await self._find(path) if path is not None else None
        if path is None or found is None:
            # 404, never 403: a refusal does not tell that the video exists. Never cached: a
            # live clip not published yet will be in a moment, and an edge that kept the
            # 404 would hide it from every viewer.
            await _answer(send, 404, [_JSON, _NO_STORE], _MISSING)
            return
        key, item, granted = found
        for observe in self._observers:
            observe(key)
        await self._send_object(scope, send, key, item, granted)

    async def _find(self, path: MediaPath) -> tuple[str, Found, Grant] | None:
        granted = grant(await self.access.get(path.video), path, self._secret, int(time.time()))
        if granted is None:
            return None
        key = path.key  # safe: cdn.paths reads only what storage's check_key accepts
        item = await self.objects.get(key)
        return (key, item, granted) if item is not None else None

    async def _send_object(
        self, scope: Scope, send: Send, key: str, item: Found, granted: Grant
    ) -> None:
        headers = item.headers.get(granted) or _headers(item, key, granted)
        range_header = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"range":
                range_header = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        if if_none_match is not None and etag_matches(if_none_match, quote_etag(item.etag)):
            await _answer(send, 304, headers, b"", measured=True)
            return
        try:
            span = parse_range(range_header, item.size)
        except Unsatisfiable:
            await _answer(send, 416, [(b"content-range", f"bytes */{item.size}".encode())], b"")
            return
        start, end = span if span else (0, item.size - 1)
        status = 206 if span else 200
        if span:
            content_range = f"bytes {start}-{end}/{item.size}".encode()
            headers = [*headers, (b"content-range", content_range)]
        length = (b"content-length", str(max(0, end - start + 1)).encode())
        headers = [*headers, length]
        if scope["method"] == "HEAD" or item.size == 0:
            await _answer(send, status, headers, b"", measured=True)
        elif item.data is not None:
            body = item.data if not span else item.data[start : end + 1]
            await _answer(send, status, headers, body, measured=True)
        else:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            async for chunk in self.objects.stream(key, start, end):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})


def _headers(item: Found, key: str, granted: Grant) -> Headers:
    headers = [
        (b"etag", quote_etag(item.etag).encode()),
        (b"cache-control", cache_control(key, public=granted is Grant.PUBLIC).encode()),
        (b"accept-ranges", b"bytes"),
        (b"content-type", content_type_for(key).encode()),
    ]
    item.headers[granted] = headers
    return headers


class CdnRoute:
    """ASGI middleware: `/cdn/…` to the MediaServer in `state.cdn` (set at start-up)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server: MediaServer | None = getattr(self.state, "cdn", None)
        if scope["type"] == "http" and scope["path"].startswith(PREFIX) and server is not None:
            await server.serve(scope, send)
            return
        await self.app(scope, receive, send)


async def _answer(
    send: Send, status: int, headers: Headers, body: bytes, *, measured: bool = False
) -> None:
    """`measured`: the headers already say the length (a HEAD, a range, a 304)."""
    if not measured:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
