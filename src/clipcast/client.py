"""A small HTTP client of clipcast's API for the command line: log in, upload (tus), poll."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

CHUNK = 8 * 1024 * 1024


class ApiError(Exception):
    pass


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise ApiError(f"{response.status_code}: {message}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def login(server: str, username: str, password: str) -> str:
    with httpx.Client(base_url=server, timeout=30) as http:
        body = _check(
            http.post("/api/v1/auth/token", json={"username": username, "password": password})
        )
    return str(body["access_token"])


def upload(
    server: str,
    token: str,
    path: Path,
    metadata: dict[str, str],
    on_progress: Callable[[int, int], None],
) -> str:
    """Upload with tus in chunks, reporting (sent, total); returns the new video's id."""
    tus = tus_client.TusClient(
        f"{server.rstrip('/')}/api/v1/uploads", headers={"Authorization": f"Bearer {token}"}
    )
    total = path.stat().st_size
    try:
        with path.open("rb") as stream:
            uploader = tus.uploader(
                file_stream=stream, chunk_size=CHUNK, metadata=metadata, retries=3, retry_delay=1
            )
            while uploader.offset < total:
                uploader.upload_chunk()  # type: ignore[no-untyped-call]
                on_progress(uploader.offset, total)
    except TusCommunicationError as exc:
        raise ApiError(f"{exc.status_code}: {_tus_message(exc)}") from None
    return str(uploader.url).rstrip("/").rsplit("/", 1)[-1]


def _tus_message(exc: TusCommunicationError) -> str:
    body = exc.response_content or b""
    try:
        return str(httpx.Response(400, content=body).json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return str(exc)


def get_video(server: str, token: str, video_id: str) -> dict[str, Any]:
    with httpx.Client(base_url=server, timeout=30) as http:
        return _check(http.get(f"/api/v1/videos/{video_id}", headers=_auth(token)))


def list_videos(server: str, token: str, *, mine: bool) -> dict[str, Any]:
    params = {"mine": "true"} if mine else {}
    with httpx.Client(base_url=server, timeout=30) as http:
        return _check(http.get("/api/v1/videos", params=params, headers=_auth(token)))


def wait_until_done(
    server: str,
    token: str,
    video_id: str,
    on_progress: Callable[[dict[str, Any]], None],
    *,
    poll: float = 1.0,
) -> dict[str, Any]:
    while True:
        video = get_video(server, token, video_id)
        on_progress(video)
        if video["state"] in ("ready", "failed"):
            return video
        time.sleep(poll)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
