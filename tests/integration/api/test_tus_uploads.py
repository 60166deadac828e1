"""tus 1.0 at /api/v1/uploads: creation, resume, offsets, limits, ownership, termination, expiry."""

from __future__ import annotations

import asyncio
import base64
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from clipcast.bootstrap import Adapters, build_adapters
from clipcast.core.clock import utcnow
from clipcast.jobs.models import Job
from clipcast.settings import Settings
from clipcast.uploads.models import Upload
from clipcast.uploads.service import CHECKPOINT_BYTES, NODE_KEY, append, expire_uploads, part_path
from clipcast.videos.chain import source_key
from clipcast.web.app import create_app
from tests.integration.api import tus_helpers as tus
from tests.integration.api.test_accounts import register, token_for

MIB = 1024 * 1024


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    await register(client)
    return await token_for(client)


@pytest.fixture
async def other_token(client: httpx.AsyncClient) -> str:
    await register(client, "mallory", "mallory's password")
    return await token_for(client, "mallory", "mallory's password")


async def test_options_advertises_version_extensions_and_max_size(
    client: httpx.AsyncClient, adapters: Adapters
) -> None:
    response = await client.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) >= {
        "creation",
        "termination",
        "expiration",
    }
    assert int(response.headers["tus-max-size"]) == adapters.settings.max_upload_bytes


async def test_creation_makes_an_uploading_video_with_the_same_id(
    client: httpx.AsyncClient, token: str
) -> None:
    created = await tus.create(
        client, token, 10, title="Holiday", description="Beach", visibility="unlisted"
    )
    assert created.status_code == 201
    assert "upload-expires" in created.headers
    video_id = created.headers["location"].rsplit("/", 1)[-1]
    video = await client.get(
        f"/api/v1/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert video.status_code == 200
    body = video.json()
    assert body["state"] == "uploading"
    assert (body["title"], body["description"], body["visibility"]) == (
        "Holiday",
        "Beach",
        "unlisted",
    )
    assert body["playback"]["hls"] is None


async def test_resumed_upload_continues_from_the_server_offset(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    data = bytes(range(256)) * 40
    location = (await tus.create(client, token, len(data))).headers["location"]
    first = await tus.patch(client, token, location, 0, data[:3000])
    assert first.headers["upload-offset"] == "3000"
    head = await tus.head(client, token, location)
    assert head.status_code == 200
    assert head.headers["upload-offset"] == "3000"
    assert head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"
    rest = await tus.patch(client, token, location, int(head.headers["upload-offset"]), data[3000:])
    assert rest.status_code == 204
    video_id = location.rsplit("/", 1)[-1]
    stored = await adapters.storage.get_bytes(source_key(__import__("uuid").UUID(video_id)))
    assert stored == data


async def test_wrong_offset_is_409_and_changes_nothing(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 100)).headers["location"]
    await tus.patch(client, token, location, 0, b"a" * 40)
    wrong = await tus.patch(client, token, location, 10, b"b" * 20)
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "offset_mismatch"
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "40"
    upload_id = __import__("uuid").UUID(location.rsplit("/", 1)[-1])
    assert part_path(adapters.settings.upload_dir, upload_id).read_bytes() == b"a" * 40


async def test_body_past_upload_length_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, token: str
) -> None:
    location = (await tus.create(client, token, 10)).headers["location"]
    too_long = await tus.patch(client, token, location, 0, b"x" * 11)
    assert too_long.status_code == 413
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "0"


async def test_chunked_body_past_length_is_refused_too(
    client: httpx.AsyncClient, token: str
) -> None:
    location = (await tus.create(client, token, 10)).headers["location"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x" * 6
        yield b"x" * 6

    headers = {
        **tus.TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }
    response = await client.patch(location, headers=headers, content=chunks())
    assert response.status_code == 413
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "0"


async def test_declared_length_over_the_cap_is_413(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    response = await tus.create(client, token, adapters.settings.max_upload_bytes + 1)
    assert response.status_code == 413


async def test_another_users_upload_url_is_not_found(
    client: httpx.AsyncClient, token: str, other_token: str
) -> None:
    location = (await tus.create(client, token, 10)).headers["location"]
    assert (await tus.head(client, other_token, location)).status_code == 404
    assert (await tus.patch(client, other_token, location, 0, b"x" * 10)).status_code == 404
    deleted = await client.delete(
        location, headers={**tus.TUS, "Authorization": f"Bearer {other_token}"}
    )
    assert deleted.status_code == 404
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "0"


async def test_anonymous_upload_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/uploads", headers={**tus.TUS, "Upload-Length": "10"})
    assert response.status_code == 401


async def test_missing_tus_version_is_412_and_wrong_content_type_415(
    client: httpx.AsyncClient, token: str
) -> None:
    no_version = await client.post(
        "/api/v1/uploads", headers={"Authorization": f"Bearer {token}", "Upload-Length": "10"}
    )
    assert no_version.status_code == 412
    location = (await tus.create(client, token, 10)).headers["location"]
    wrong_type = await client.patch(
        location,
        content=b"x",
        headers={
            **tus.TUS,
            "Authorization": f"Bearer {token}",
            "Upload-Offset": "0",
            "Content-Type": "text/plain",
        },
    )
    assert wrong_type.status_code == 415


async def test_termination_removes_upload_and_its_video(
    client: httpx.AsyncClient, token: str
) -> None:
    location = (await tus.create(client, token, 10)).headers["location"]
    video_id = location.rsplit("/", 1)[-1]
    deleted = await client.delete(location, headers={**tus.TUS, "Authorization": f"Bearer {token}"})
    assert deleted.status_code == 204
    assert (await tus.head(client, token, location)).status_code == 404
    video = await client.get(
        f"/api/v1/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert video.status_code == 404


async def test_completed_upload_queues_one_transcode_job(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    video_id = await tus.upload_bytes(client, token, b"not really a video")
    video = await client.get(
        f"/api/v1/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert video.json()["state"] == "processing"
    async with adapters.sessions() as session:
        jobs = list(await session.scalars(select(Job)))
    assert [str(j.video_id) for j in jobs] == [video_id]


async def test_expired_upload_is_gone_with_its_video(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 10)).headers["location"]
    video_id = location.rsplit("/", 1)[-1]
    removed = await expire_uploads(
        sessions=adapters.sessions,
        upload_dir=adapters.settings.upload_dir,
        now=utcnow() + timedelta(seconds=adapters.settings.upload_expiry_seconds + 1),
    )
    assert removed == 1
    assert (await tus.head(client, token, location)).status_code == 404
    assert (
        await client.get(f"/api/v1/videos/{video_id}", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 404
    async with adapters.sessions() as session:
        assert list(await session.scalars(select(Upload))) == []


async def test_bad_metadata_is_a_clear_error(client: httpx.AsyncClient, token: str) -> None:
    headers = {
        **tus.TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Length": "10",
        "Upload-Metadata": "title !!notbase64",
    }
    response = await client.post("/api/v1/uploads", headers=headers)
    assert response.status_code == 422
    bad_visibility = await tus.create(client, token, 10, visibility="everyone")
    assert bad_visibility.status_code == 422


async def test_zero_byte_file_is_refused_at_creation(client: httpx.AsyncClient, token: str) -> None:
    response = await tus.create(client, token, 0)
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "The file is empty."


@pytest.fixture
async def second_api(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process of the same site: same database, a data dir of its own."""
    other = settings.model_copy(update={"data_dir": tmp_path / "second", "node": "api-2"})
    built = build_adapters(other)
    app = create_app(adapters=built, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    await built.close()


async def test_another_api_process_refuses_with_409_naming_the_holder(
    client: httpx.AsyncClient, second_api: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 20)).headers["location"]
    await tus.patch(client, token, location, 0, b"a" * 10)
    holder = adapters.settings.resolved_node()

    elsewhere = await tus.patch(second_api, token, location, 10, b"b" * 10)
    assert elsewhere.status_code == 409
    assert elsewhere.json()["error"]["code"] == "upload_on_other_node"
    assert holder in elsewhere.json()["error"]["message"]
    assert "api-2" in elsewhere.json()["error"]["message"]
    head = await tus.head(second_api, token, location)
    assert (head.status_code, head.headers["upload-offset"]) == (200, "10")
    deleted = await second_api.delete(
        location, headers={**tus.TUS, "Authorization": f"Bearer {token}"}
    )
    assert deleted.status_code == 409
    assert deleted.json()["error"]["code"] == "upload_on_other_node"

    done = await tus.patch(client, token, location, 10, b"b" * 10)
    assert done.status_code == 204
    video_id = uuid.UUID(location.rsplit("/", 1)[-1])
    assert await adapters.storage.get_bytes(source_key(video_id)) == b"a" * 10 + b"b" * 10


async def test_default_node_is_host_and_data_dir_and_is_not_echoed_as_metadata(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    node = adapters.settings.resolved_node()
    assert node == f"{socket.gethostname()}:{adapters.settings.data_dir.resolve()}"
    location = (await tus.create(client, token, 10, title="Mine")).headers["location"]
    async with adapters.sessions() as session:
        row = await session.get(Upload, uuid.UUID(location.rsplit("/", 1)[-1]))
    assert row is not None and row.meta[NODE_KEY] == node
    echoed = (await tus.head(client, token, location)).headers["upload-metadata"]
    assert "Mine" in [base64.b64decode(p.split(" ")[1]).decode() for p in echoed.split(",")]
    assert NODE_KEY not in echoed


async def test_complete_upload_held_elsewhere_is_left_to_its_holder(
    client: httpx.AsyncClient, second_api: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    """All bytes in, then a crash before the hand-over: only the holder can finish it."""
    location = (await tus.create(client, token, 10)).headers["location"]
    video_id = uuid.UUID(location.rsplit("/", 1)[-1])
    part_path(adapters.settings.upload_dir, video_id).write_bytes(b"c" * 10)
    async with adapters.sessions() as session:
        row = await session.get(Upload, video_id)
        assert row is not None
        row.offset = 10
        await session.commit()

    assert (await tus.head(second_api, token, location)).status_code == 200
    assert await _state(client, token, video_id) == "uploading"
    assert (await tus.head(client, token, location)).status_code == 200
    assert await _state(client, token, video_id) == "processing"


async def _state(client: httpx.AsyncClient, token: str, video_id: uuid.UUID) -> str:
    video = await client.get(
        f"/api/v1/videos/{video_id}", headers={"Authorization": f"Bearer {token}"}
    )
    state: str = video.json()["state"]
    return state


async def _parked_body(data: bytes, chunk: int, parked: asyncio.Event) -> AsyncIterator[bytes]:
    """Sends `data`, then waits forever, as a client whose connection hangs mid-body."""
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]
    parked.set()
    await asyncio.Event().wait()


async def test_offset_is_saved_while_the_body_arrives_and_a_killed_patch_resumes(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    data = bytes(range(256)) * (6 * MIB // 256)
    location = (await tus.create(client, token, len(data))).headers["location"]
    video_id = uuid.UUID(location.rsplit("/", 1)[-1])
    async with adapters.sessions() as session:
        upload = await session.get(Upload, video_id)
    assert upload is not None
    parked = asyncio.Event()
    writing = asyncio.create_task(
        append(
            sessions=adapters.sessions,
            upload=upload,
            upload_dir=adapters.settings.upload_dir,
            node=adapters.settings.resolved_node(),
            offset=0,
            declared_length=None,
            body=_parked_body(data[: 5 * MIB], MIB, parked),
        )
    )
    await parked.wait()
    writing.cancel()  # the process dies with the request in hand
    with pytest.raises(asyncio.CancelledError):
        await writing

    saved = int((await tus.head(client, token, location)).headers["upload-offset"])
    assert saved == CHECKPOINT_BYTES
    on_disk = part_path(adapters.settings.upload_dir, video_id).read_bytes()
    assert len(on_disk) >= saved
    assert on_disk[:saved] == data[:saved]
    rest = await tus.patch(client, token, location, saved, data[saved:])
    assert rest.status_code == 204
    assert await adapters.storage.get_bytes(source_key(video_id)) == data


async def test_body_past_length_after_a_checkpoint_still_changes_nothing(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 5 * MIB - 1)).headers["location"]
    video_id = uuid.UUID(location.rsplit("/", 1)[-1])

    async def megabytes() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"m" * MIB

    headers = {
        **tus.TUS,
        "Authorization": f"Bearer {token}",
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }
    response = await client.patch(location, headers=headers, content=megabytes())
    assert response.status_code == 413
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "0"
    assert part_path(adapters.settings.upload_dir, video_id).stat().st_size == 0
