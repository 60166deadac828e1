"""Uploads across two real API processes (each with its own data dir) sharing PostgreSQL, S3
and NATS: the wrong process refuses with a 409 naming the holder, and a crash mid-PATCH keeps
what was checkpointed."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from clipcast import client
from clipcast.uploads.service import CHECKPOINT_BYTES
from tests.e2e.cluster import Proc, cluster

pytestmark = [pytest.mark.nats]

TUS = {"Tus-Resumable": "1.0.0"}
KIB = 1024


def _token(api: str) -> str:
    httpx.post(f"{api}/api/v1/auth/register", json={"username": "sam", "password": "sam's pw!"})
    return client.login(api, "sam", "sam's pw!")


def _create(api: str, token: str, length: int) -> str:
    headers = {**TUS, "Authorization": f"Bearer {token}", "Upload-Length": str(length)}
    created = httpx.post(f"{api}/api/v1/uploads", headers=headers)
    assert created.status_code == 201, created.text
    return created.headers["location"].rsplit("/", 1)[-1]


def _headers(token: str, offset: int) -> dict[str, str]:
    return {
        **TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }


def _offset(api: str, token: str, upload_id: str) -> int:
    head = httpx.head(
        f"{api}/api/v1/uploads/{upload_id}", headers={**TUS, "Authorization": f"Bearer {token}"}
    )
    assert head.status_code == 200, head.status_code
    return int(head.headers["upload-offset"])


def _url(proc: Proc) -> str:
    assert proc.url is not None
    return proc.url


def test_patch_on_the_other_api_process_is_409_naming_the_holder_never_500(
    tmp_path: Path, scaled_base_env: dict[str, str]
) -> None:
    with cluster(tmp_path / "procs", scaled_base_env) as c:
        first, second = _url(c.api("api-1")), _url(c.api("api-2"))
        token = _token(first)
        upload_id = _create(first, token, 20)
        holder = f"{socket.gethostname()}:{(tmp_path / 'procs' / 'api-1').resolve()}"

        elsewhere = httpx.patch(
            f"{second}/api/v1/uploads/{upload_id}", headers=_headers(token, 0), content=b"x" * 20
        )
        assert elsewhere.status_code == 409, elsewhere.text
        error = elsewhere.json()["error"]
        assert error["code"] == "upload_on_other_node"
        assert holder in error["message"]
        assert _offset(second, token, upload_id) == 0

        done = httpx.patch(
            f"{first}/api/v1/uploads/{upload_id}", headers=_headers(token, 0), content=b"x" * 20
        )
        assert done.status_code == 204, done.text
        assert client.get_video(second, token, upload_id)["state"] == "processing"


def test_api_killed_mid_patch_keeps_the_checkpointed_bytes_and_the_upload_resumes(
    tmp_path: Path, scaled_base_env: dict[str, str]
) -> None:
    data = bytes(range(256)) * (6 * KIB * KIB // 256) + b"tail"
    with cluster(tmp_path / "procs", scaled_base_env) as c:
        api = c.api("api-1")
        token = _token(_url(api))
        upload_id = _create(_url(api), token, len(data))
        hang = threading.Event()

        def body() -> Iterator[bytes]:
            """5 MiB, then the client hangs: the request is in hand when the process dies."""
            for start in range(0, 5 * KIB * KIB, 256 * KIB):
                yield data[start : start + 256 * KIB]
            hang.wait()

        def send() -> None:
            url = f"{_url(api)}/api/v1/uploads/{upload_id}"
            # The server dies under it: what matters is what the server kept.
            with contextlib.suppress(httpx.HTTPError):
                httpx.patch(url, headers=_headers(token, 0), content=body(), timeout=60)

        sender = threading.Thread(target=send)
        sender.start()
        try:
            _wait_for(lambda: _offset(_url(api), token, upload_id) >= CHECKPOINT_BYTES)
            api.kill9()
        finally:
            hang.set()
            sender.join()

        again = c.api("api-1")  # the same data dir: the partial file is still there
        saved = _offset(_url(again), token, upload_id)
        # Saved at the first read that crossed 4 MiB: at most what was sent, lost at most 1 MiB.
        assert CHECKPOINT_BYTES <= saved <= 5 * KIB * KIB
        part = tmp_path / "procs" / "api-1" / "uploads" / f"{upload_id}.part"
        assert part.read_bytes()[:saved] == data[:saved]
        rest = httpx.patch(
            f"{_url(again)}/api/v1/uploads/{upload_id}",
            headers=_headers(token, saved),
            content=data[saved:],
        )
        assert rest.status_code == 204, rest.text
        assert client.get_video(_url(again), token, upload_id)["state"] == "processing"


def _wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
