"""tus 1.0 at /api/v1/uploads: creation, resume, offsets, limits, ownership, termination, expiry,
crashes; one suite for both stagings (local disk; object storage on disk and on SeaweedFS)."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from clipcast.bootstrap import Adapters, build_adapters
from clipcast.core.clock import utcnow
from clipcast.core.errors import Conflict
from clipcast.jobs.models import Job
from clipcast.settings import Settings, StorageBackend, UploadStaging
from clipcast.uploads import storage_staging
from clipcast.uploads.local_staging import CHECKPOINT_BYTES, NODE_KEY, part_path
from clipcast.uploads.models import Upload, UploadPart
from clipcast.uploads.service import append, expire_uploads, housekeeping
from clipcast.videos.chain import source_key
from clipcast.web.app import create_app
from tests.integration.api import tus_helpers as tus
from tests.integration.api.test_accounts import register, token_for
from tests.seaweedfs import SeaweedFS

MIB = 1024 * 1024
SHARED = ["storage-disk", pytest.param("storage-s3", marks=pytest.mark.seaweedfs)]


@pytest.fixture(params=["local", *SHARED])
def staging(request: pytest.FixtureRequest) -> str:
    """Where uploads wait: local disk, object storage on local disk, or S3 (SeaweedFS)."""
    return str(request.param)


@pytest.fixture
def settings(
    settings: Settings, staging: str, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    if staging != "storage-s3":
        chosen = UploadStaging.LOCAL if staging == "local" else UploadStaging.STORAGE
        yield settings.model_copy(update={"upload_staging": chosen})
        return
    server: SeaweedFS = request.getfixturevalue("seaweedfs")
    with server.temporary_bucket("tus") as bucket:
        # upload_staging unset: S3 means storage staging by default.
        yield settings.model_copy(
            update={
                "storage_backend": StorageBackend.S3,
                "s3_endpoint_url": server.s3_url,
                "s3_bucket": bucket,
            }
        )


def upload_id_of(location: str) -> uuid.UUID:
    return uuid.UUID(location.rstrip("/").rsplit("/", 1)[-1])


async def row(adapters: Adapters, upload_id: uuid.UUID) -> Upload:
    async with adapters.sessions() as session:
        upload = await session.get(Upload, upload_id)
    assert upload is not None
    return upload


async def checkpoint(adapters: Adapters, upload_id: uuid.UUID) -> int:
    """How many bytes a PATCH takes in before it saves the offset."""
    upload = await row(adapters, upload_id)
    return upload.part_bytes if upload.staging == UploadStaging.STORAGE else CHECKPOINT_BYTES


async def leftovers(adapters: Adapters) -> list[str]:
    """Whatever either staging still holds: partial files, multipart uploads, tails."""
    files = sorted(os.listdir(adapters.settings.upload_dir))
    pending = [p.key for p in await adapters.storage.list_multipart("")]
    return files + pending + await adapters.storage.list_keys("uploads/")


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
    assert await adapters.storage.get_bytes(source_key(upload_id_of(location))) == data


async def test_wrong_offset_is_409_and_changes_nothing(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 100)).headers["location"]
    await tus.patch(client, token, location, 0, b"a" * 40)
    wrong = await tus.patch(client, token, location, 10, b"b" * 20)
    assert wrong.status_code == 409
    assert wrong.json()["error"]["code"] == "offset_mismatch"
    assert (await tus.head(client, token, location)).headers["upload-offset"] == "40"
    assert (await tus.patch(client, token, location, 40, b"c" * 60)).status_code == 204
    stored = await adapters.storage.get_bytes(source_key(upload_id_of(location)))
    assert stored == b"a" * 40 + b"c" * 60


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


async def test_termination_removes_upload_its_video_and_its_staged_bytes(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 10 * MIB)).headers["location"]
    video_id = location.rsplit("/", 1)[-1]
    await tus.patch(client, token, location, 0, b"t" * (6 * MIB))  # a part and a tail
    assert await leftovers(adapters) != []
    deleted = await client.delete(location, headers={**tus.TUS, "Authorization": f"Bearer {token}"})
    assert deleted.status_code == 204
    assert await leftovers(adapters) == []
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
    assert await leftovers(adapters) == []


async def test_expired_upload_is_gone_with_its_video_and_its_staged_bytes(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 10 * MIB)).headers["location"]
    video_id = location.rsplit("/", 1)[-1]
    await tus.patch(client, token, location, 0, b"e" * (6 * MIB))  # a part and a tail
    removed = await expire_uploads(
        sessions=adapters.sessions,
        storage=adapters.storage,
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
        assert list(await session.scalars(select(UploadPart))) == []
    assert await leftovers(adapters) == []


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
async def second_api(
    settings: Settings, staging: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process of the same site: same database and object storage (on local
    disk, the media dir is in the data dir, so it shares that), a data dir of its own."""
    data_dir = settings.data_dir if staging == "storage-disk" else tmp_path / "second"
    other = settings.model_copy(update={"data_dir": data_dir, "node": "api-2"})
    built = build_adapters(other)
    app = create_app(adapters=built, run_workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    await built.close()


@pytest.mark.parametrize("staging", ["local"])
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


@pytest.mark.parametrize("staging", ["local"])
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
    video_id = upload_id_of(location)
    every = await checkpoint(adapters, video_id)
    parked = asyncio.Event()
    writing = asyncio.create_task(
        append(
            sessions=adapters.sessions,
            storage=adapters.storage,
            upload=await row(adapters, video_id),
            upload_dir=adapters.settings.upload_dir,
            node=adapters.settings.resolved_node(),
            offset=0,
            declared_length=None,
            body=_parked_body(data[: 5 * MIB + 1234], MIB, parked),
        )
    )
    await parked.wait()
    writing.cancel()  # the process dies with the request in hand
    with pytest.raises(asyncio.CancelledError):
        await writing

    saved = int((await tus.head(client, token, location)).headers["upload-offset"])
    assert saved == every
    rest = await tus.patch(client, token, location, saved, data[saved:])
    assert rest.status_code == 204
    assert await adapters.storage.get_bytes(source_key(video_id)) == data


async def test_body_past_length_after_a_checkpoint_still_changes_nothing(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    created = await tus.create(client, token, 10 * MIB)  # only to learn the checkpoint size
    every = await checkpoint(adapters, upload_id_of(created.headers["location"]))
    length = every + MIB - 1
    location = (await tus.create(client, token, length)).headers["location"]
    video_id = upload_id_of(location)

    async def megabytes() -> AsyncIterator[bytes]:
        for _ in range(length // MIB + 1):
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
    async with adapters.sessions() as session:
        assert list(await session.scalars(select(UploadPart))) == []
    assert (await tus.patch(client, token, location, 0, b"r" * length)).status_code == 204
    assert await adapters.storage.get_bytes(source_key(video_id)) == b"r" * length


async def test_a_file_sent_in_small_patches_arrives_whole(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    """Clients that send less than a part at a time (tus-js-client with a small chunkSize)."""
    data = os.urandom(11 * MIB + 17)
    location = (await tus.create(client, token, len(data))).headers["location"]
    for start in range(0, len(data), MIB):
        sent = await tus.patch(client, token, location, start, data[start : start + MIB])
        assert sent.status_code == 204, sent.text
        assert sent.headers["upload-offset"] == str(min(start + MIB, len(data)))
    assert await adapters.storage.get_bytes(source_key(upload_id_of(location))) == data
    assert await leftovers(adapters) == []


def test_the_default_staging_is_storage_on_s3_and_local_on_disk(tmp_path: Path) -> None:
    on_disk = Settings(data_dir=tmp_path, storage_backend=StorageBackend.LOCAL)
    on_s3 = on_disk.model_copy(update={"storage_backend": StorageBackend.S3})
    chosen = on_s3.model_copy(update={"upload_staging": UploadStaging.LOCAL})
    assert on_disk.resolved_upload_staging() is UploadStaging.LOCAL
    assert on_s3.resolved_upload_staging() is UploadStaging.STORAGE
    assert chosen.resolved_upload_staging() is UploadStaging.LOCAL


@pytest.mark.parametrize("staging", SHARED)
async def test_any_api_process_takes_any_request_of_an_upload(
    client: httpx.AsyncClient, second_api: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    data = os.urandom(13 * MIB)
    location = (await tus.create(client, token, len(data))).headers["location"]
    upload_id = upload_id_of(location)
    for n, start in enumerate(range(0, len(data), 3 * MIB)):
        api = (client, second_api)[n % 2]  # parts and tails started on one, ended on the other
        head = await tus.head(api, token, location)
        assert head.headers["upload-offset"] == str(start)
        sent = await tus.patch(api, token, location, start, data[start : start + 3 * MIB])
        assert sent.status_code == 204, sent.text
    assert await adapters.storage.get_bytes(source_key(upload_id)) == data
    assert await _state(second_api, token, upload_id) == "processing"


@pytest.mark.parametrize("staging", SHARED)
async def test_termination_through_another_api_process_drops_every_part(
    client: httpx.AsyncClient, second_api: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    location = (await tus.create(client, token, 20 * MIB)).headers["location"]
    await tus.patch(client, token, location, 0, b"p" * (7 * MIB))
    assert [p.key for p in await adapters.storage.list_multipart("")] == [
        source_key(upload_id_of(location))
    ]
    deleted = await second_api.delete(
        location, headers={**tus.TUS, "Authorization": f"Bearer {token}"}
    )
    assert deleted.status_code == 204
    assert await leftovers(adapters) == []
    late = await tus.patch(client, token, location, 7 * MIB, b"p")
    assert late.status_code == 404


@pytest.mark.parametrize("staging", SHARED)
async def test_parts_are_recorded_with_their_etags_and_the_rest_waits_in_a_tail(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    data = os.urandom(20 * MIB)
    location = (await tus.create(client, token, len(data))).headers["location"]
    upload_id = upload_id_of(location)
    assert (await tus.patch(client, token, location, 0, data[: 12 * MIB])).status_code == 204

    upload = await row(adapters, upload_id)
    async with adapters.sessions() as session:
        parts = list(
            await session.scalars(select(UploadPart).where(UploadPart.upload_id == upload_id))
        )
    size = upload.part_bytes
    assert [(p.start, p.size) for p in parts] == [(0, size), (size, size)]
    assert all(p.etag.strip('"') for p in parts)
    assert (upload.offset, upload.parts_end) == (12 * MIB, 2 * size)
    assert upload.tail_key is not None
    assert await adapters.storage.get_bytes(upload.tail_key) == data[2 * size : 12 * MIB]
    assert await adapters.storage.stat(source_key(upload_id)) is None  # nothing shows yet


@pytest.mark.parametrize("staging", SHARED)
async def test_a_request_that_lost_the_race_changes_nothing(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    """Two requests at one offset (a client retried while its first request still ran): the
    first to save wins, the other is refused, and what the winner stored is intact."""
    data = os.urandom(8 * MIB)
    location = (await tus.create(client, token, len(data))).headers["location"]
    upload_id = upload_id_of(location)
    stale = await row(adapters, upload_id)
    parked, go_on = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield data[:MIB]
        parked.set()
        await go_on.wait()
        yield data[MIB : 2 * MIB]

    loser = asyncio.create_task(
        append(
            sessions=adapters.sessions,
            storage=adapters.storage,
            upload=stale,
            upload_dir=adapters.settings.upload_dir,
            node="api-1",
            offset=0,
            declared_length=None,
            body=slow_body(),
        )
    )
    await parked.wait()
    won = await tus.patch(client, token, location, 0, data[: 3 * MIB])
    assert won.headers["upload-offset"] == str(3 * MIB)
    go_on.set()
    with pytest.raises(Conflict):
        await loser

    assert (await tus.head(client, token, location)).headers["upload-offset"] == str(3 * MIB)
    tails = await adapters.storage.list_keys("uploads/")
    assert tails == [(await row(adapters, upload_id)).tail_key]  # the loser's tail is gone
    assert (await tus.patch(client, token, location, 3 * MIB, data[3 * MIB :])).status_code == 204
    assert await adapters.storage.get_bytes(source_key(upload_id)) == data


@pytest.mark.parametrize("staging", SHARED)
async def test_an_upload_whose_last_byte_came_before_a_crash_is_finished_by_any_process(
    client: httpx.AsyncClient, second_api: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    """The API died after counting the last byte, or after joining the parts: a HEAD anywhere
    (or the worker's housekeeping) finishes the upload."""
    first_id, second_id = [
        upload_id_of((await tus.create(client, token, 6 * MIB)).headers["location"])
        for _ in range(2)
    ]
    for upload_id in (first_id, second_id):
        await append(
            sessions=adapters.sessions,
            storage=adapters.storage,
            upload=await row(adapters, upload_id),
            upload_dir=adapters.settings.upload_dir,
            node="api-1",
            offset=0,
            declared_length=None,
            body=_chunks(b"f" * (6 * MIB)),
        )
    # The second one's parts were joined, then the process died before its commit.
    await storage_staging.complete(
        sessions=adapters.sessions, storage=adapters.storage, upload=await row(adapters, second_id)
    )

    head = await tus.head(second_api, token, f"/api/v1/uploads/{first_id}")
    assert (head.status_code, await _state(client, token, first_id)) == (200, "processing")
    await housekeeping(
        sessions=adapters.sessions,
        storage=adapters.storage,
        upload_dir=adapters.settings.upload_dir,
        now=utcnow(),
    )
    assert await _state(client, token, second_id) == "processing"
    for upload_id in (first_id, second_id):
        assert await adapters.storage.get_bytes(source_key(upload_id)) == b"f" * (6 * MIB)
    assert await leftovers(adapters) == []


@pytest.mark.parametrize("staging", SHARED)
async def test_housekeeping_drops_staged_bytes_no_upload_owns(
    client: httpx.AsyncClient, token: str, adapters: Adapters
) -> None:
    """A crash between storing a multipart upload or a tail and the commit naming it."""
    storage = adapters.storage
    location = (await tus.create(client, token, 10 * MIB)).headers["location"]
    await tus.patch(client, token, location, 0, b"k" * (6 * MIB))
    kept = sorted(await leftovers(adapters))
    orphan = uuid.uuid4()
    await storage.start_multipart(source_key(orphan), "application/octet-stream")
    await storage.put_bytes(f"uploads/{orphan}/tail-0", b"lost", "application/octet-stream")

    soon = utcnow() + timedelta(minutes=1)  # too young to be sure it is an orphan
    await housekeeping(
        sessions=adapters.sessions,
        storage=storage,
        upload_dir=adapters.settings.upload_dir,
        now=soon,
    )
    assert source_key(orphan) in [p.key for p in await storage.list_multipart("")]
    later = utcnow() + storage_staging.ORPHAN_GRACE + timedelta(minutes=1)
    await housekeeping(
        sessions=adapters.sessions,
        storage=storage,
        upload_dir=adapters.settings.upload_dir,
        now=later,
    )
    assert sorted(await leftovers(adapters)) == kept
    rest = await tus.patch(client, token, location, 6 * MIB, b"k" * (4 * MIB))
    assert rest.status_code == 204


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), MIB):
        yield data[start : start + MIB]
