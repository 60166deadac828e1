"""Uploads across two real API processes (each with its own data dir) sharing PostgreSQL, S3
and NATS. Staged in object storage (the default on S3): any process takes any request, and an
API killed mid-upload loses nothing it acknowledged; the upload finishes through the other and
the video gets ready. Staged on local disk: the wrong process refuses with a 409 naming the
holder, and a crash mid-PATCH keeps what was checkpointed."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from clipcast import client
from clipcast.adapters.storage.base import MIN_PART_BYTES
from clipcast.uploads.local_staging import CHECKPOINT_BYTES
from tests.e2e.cluster import Proc, cluster
from tests.media import make_video
from tests.seaweedfs import s3_client

pytestmark = [pytest.mark.nats]

TUS = {"Tus-Resumable": "1.0.0"}
KIB = 1024
MIB = KIB * KIB


@pytest.fixture
def local_staging_env(scaled_base_env: dict[str, str]) -> dict[str, str]:
    return scaled_base_env | {"CLIPCAST_UPLOAD_STAGING": "local"}


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
    tmp_path: Path, local_staging_env: dict[str, str]
) -> None:
    with cluster(tmp_path / "procs", local_staging_env) as c:
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
    tmp_path: Path, local_staging_env: dict[str, str]
) -> None:
    data = bytes(range(256)) * (6 * KIB * KIB // 256) + b"tail"
    with cluster(tmp_path / "procs", local_staging_env) as c:
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


def _patch(api: str, token: str, upload_id: str, offset: int, body: bytes) -> httpx.Response:
    url = f"{api}/api/v1/uploads/{upload_id}"
    return httpx.patch(url, headers=_headers(token, offset), content=body, timeout=60)


def test_with_shared_staging_either_api_process_takes_any_patch(
    tmp_path: Path, scaled_base_env: dict[str, str]
) -> None:
    data = bytes(range(256)) * (7 * MIB // 256)
    with cluster(tmp_path / "procs", scaled_base_env) as c:
        first, second = _url(c.api("api-1")), _url(c.api("api-2"))
        token = _token(first)
        upload_id = _create(first, token, len(data))
        for n, start in enumerate(range(0, len(data), 2 * MIB)):
            api = (second, first)[n % 2]
            assert _offset(api, token, upload_id) == start
            sent = _patch(api, token, upload_id, start, data[start : start + 2 * MIB])
            assert sent.status_code == 204, sent.text  # never 409 upload_on_other_node
        assert client.get_video(first, token, upload_id)["state"] == "processing"


def _padded_video(path: Path, size: int) -> bytes:
    """A real MP4 grown to `size` bytes with a top-level `free` box, which players skip."""
    data = make_video(path, seconds=2, size="320x240").read_bytes()
    pad = size - len(data)
    return data + struct.pack(">I", pad) + b"free" + bytes(pad - 8)


def test_api_killed_mid_upload_the_upload_finishes_through_the_other_and_gets_ready(
    tmp_path: Path, scaled_base_env: dict[str, str]
) -> None:
    data = _padded_video(tmp_path / "v.mp4", 2 * MIN_PART_BYTES + 3 * MIB)
    env = scaled_base_env | {"CLIPCAST_LADDER": "[240]"}
    with cluster(tmp_path / "procs", env) as c:
        c.worker("transcode", "transcode")
        dying, other = c.api("api-1"), _url(c.api("api-2"))
        token = _token(other)
        upload_id = _create(_url(dying), token, len(data))
        acked = _patch(_url(dying), token, upload_id, 0, data[: 2 * MIB])  # a tail, acknowledged
        assert (acked.status_code, acked.headers["upload-offset"]) == (204, str(2 * MIB))
        hang = threading.Event()

        def body() -> Iterator[bytes]:
            """A part and a half, then the client hangs: the request is in hand at the kill."""
            for start in range(2 * MIB, 2 * MIB + MIN_PART_BYTES + 2 * MIB, 256 * KIB):
                yield data[start : start + 256 * KIB]
            hang.wait()

        def send() -> None:
            url = f"{_url(dying)}/api/v1/uploads/{upload_id}"
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.patch(url, headers=_headers(token, 2 * MIB), content=body(), timeout=60)

        sender = threading.Thread(target=send)
        sender.start()
        try:
            _wait_for(lambda: _offset(other, token, upload_id) > 2 * MIB)
            seen = _offset(other, token, upload_id)
            dying.kill9()
        finally:
            hang.set()
            sender.join()

        saved = _offset(other, token, upload_id)  # no acknowledged byte was lost
        assert saved == seen == MIN_PART_BYTES
        rest = _patch(other, token, upload_id, saved, data[saved:])
        assert rest.status_code == 204, rest.text

        def ready() -> bool:
            video = client.get_video(other, token, upload_id)
            assert video["state"] != "failed", video
            return bool(video["state"] == "ready")

        _wait_for(ready, timeout=180)
        s3 = s3_client(env["CLIPCAST_S3_ENDPOINT_URL"])
        bucket = env["CLIPCAST_S3_BUCKET"]
        source = s3.get_object(Bucket=bucket, Key=f"sources/{upload_id}/source")["Body"].read()
        assert source == data
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        assert s3.list_objects_v2(Bucket=bucket, Prefix="uploads/").get("KeyCount") == 0
