"""The ObjectStorage contract: every adapter (local disk, S3 on SeaweedFS) behaves the same."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clipcast.adapters.storage.base import (
    MAX_PART_NUMBER,
    MIN_PART_BYTES,
    InvalidKey,
    ObjectMissing,
    ObjectStorage,
    PartsRefused,
    UploadMissing,
)
from clipcast.adapters.storage.local import LocalStorage
from clipcast.adapters.storage.s3 import S3Storage
from tests.seaweedfs import SeaweedFS

SEGMENT = "video/iso.segment"
PLAYLIST = "application/vnd.apple.mpegurl"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.seaweedfs)])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStorage]:
    """A fresh, empty store per test: its own directory, or its own bucket."""
    if request.param == "local":
        local = LocalStorage(tmp_path / "media")
        await local.check()
        yield local
        return
    server: SeaweedFS = request.getfixturevalue("seaweedfs")
    with server.temporary_bucket("contract") as bucket:
        s3 = S3Storage(
            endpoint_url=server.s3_url,
            bucket=bucket,
            region=server.region,
            access_key=server.access_key,
            secret_key=server.secret_key,
        )
        await s3.check()
        yield s3
        await s3.close()


async def read(storage: ObjectStorage, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in storage.read_range(key, start, end)])


async def test_put_bytes_then_get_bytes_returns_the_same_bytes(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/master.m3u8", b"#EXTM3U\n", PLAYLIST)

    assert await storage.get_bytes("videos/v1/master.m3u8") == b"#EXTM3U\n"


async def test_put_file_stores_the_file_contents(storage: ObjectStorage, tmp_path: Path) -> None:
    source = tmp_path / "seg.m4s"
    source.write_bytes(b"segment bytes")

    await storage.put_file("videos/v1/360/seg-00001.m4s", source, SEGMENT)

    assert await storage.get_bytes("videos/v1/360/seg-00001.m4s") == b"segment bytes"
    assert source.read_bytes() == b"segment bytes"


async def test_stat_of_a_missing_key_is_none(storage: ObjectStorage) -> None:
    assert await storage.stat("videos/nothing/here.m4s") is None


async def test_a_prefix_of_stored_keys_is_not_an_object(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/360/seg-1.m4s", b"x", SEGMENT)

    assert await storage.stat("videos/v1") is None
    assert await storage.stat("videos/v1/360") is None
    assert await storage.list_keys("videos/") == ["videos/v1/360/seg-1.m4s"]


async def test_stat_reports_size_and_the_content_type_given_at_put(
    storage: ObjectStorage, tmp_path: Path
) -> None:
    source = tmp_path / "poster"
    source.write_bytes(b"x" * 1234)
    await storage.put_bytes("videos/v1/subs.vtt", b"WEBVTT\n", "text/vtt")
    await storage.put_file("videos/v1/poster.jpg", source, "image/jpeg")

    vtt = await storage.stat("videos/v1/subs.vtt")
    jpg = await storage.stat("videos/v1/poster.jpg")

    assert vtt is not None
    assert (vtt.size, vtt.content_type) == (7, "text/vtt")
    assert jpg is not None
    assert (jpg.size, jpg.content_type) == (1234, "image/jpeg")
    assert vtt.etag.strip('"')


async def test_etag_changes_when_content_changes(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/index.m3u8", b"version-1", PLAYLIST)
    before = await storage.stat("videos/v1/index.m3u8")
    await storage.put_bytes("videos/v1/index.m3u8", b"version-2", PLAYLIST)  # same size
    after = await storage.stat("videos/v1/index.m3u8")

    assert before is not None
    assert after is not None
    assert before.etag != after.etag


async def test_etag_is_stable_while_the_object_is_unchanged(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/index.m3u8", b"version-1", PLAYLIST)

    first = await storage.stat("videos/v1/index.m3u8")
    second = await storage.stat("videos/v1/index.m3u8")

    assert first == second


async def test_overwriting_a_key_replaces_content_and_type(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/thumb", b"old and longer", "image/jpeg")
    await storage.put_bytes("videos/v1/thumb", b"new", "image/webp")

    info = await storage.stat("videos/v1/thumb")

    assert await storage.get_bytes("videos/v1/thumb") == b"new"
    assert info is not None
    assert (info.size, info.content_type) == (3, "image/webp")
    assert await storage.list_keys("videos/v1/") == ["videos/v1/thumb"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, b"0123456789"),
        (0, 9, b"0123456789"),
        (2, 5, b"2345"),
        (7, None, b"789"),
        (9, 9, b"9"),
        (4, 100, b"456789"),
        (10, None, b""),
    ],
    ids=["whole", "whole-explicit", "middle", "to-end", "last-byte", "end-past-size", "at-size"],
)
async def test_read_range_returns_bytes_start_to_end_inclusive(
    storage: ObjectStorage, start: int, end: int | None, expected: bytes
) -> None:
    await storage.put_bytes("videos/v1/seg.m4s", b"0123456789", SEGMENT)

    assert await read(storage, "videos/v1/seg.m4s", start, end) == expected


async def test_an_empty_object_round_trips(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/v1/empty", b"", "text/plain")

    info = await storage.stat("videos/v1/empty")

    assert info is not None
    assert info.size == 0
    assert await storage.get_bytes("videos/v1/empty") == b""
    assert await read(storage, "videos/v1/empty") == b""


async def _get_bytes(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.get_bytes(key)


async def _read_range(storage: ObjectStorage, key: str, _: Path) -> None:
    await read(storage, key)


async def _download(storage: ObjectStorage, key: str, tmp_path: Path) -> None:
    await storage.download_file(key, tmp_path / "out")


Operation = Callable[[ObjectStorage, str, Path], Awaitable[object]]


@pytest.mark.parametrize("operation", [_get_bytes, _read_range, _download])
async def test_reading_a_missing_key_raises_object_missing(
    storage: ObjectStorage, tmp_path: Path, operation: Operation
) -> None:
    await storage.put_bytes("videos/v1/present", b"x", "text/plain")

    with pytest.raises(ObjectMissing):
        await operation(storage, "videos/v1/absent", tmp_path)
    with pytest.raises(ObjectMissing):
        await operation(storage, "videos/v1", tmp_path)  # a "directory", not an object
    assert not (tmp_path / "out").exists()


async def test_download_file_copies_the_object_to_a_local_file(
    storage: ObjectStorage, tmp_path: Path
) -> None:
    await storage.put_bytes("uploads/u1/source", b"original upload", "application/octet-stream")
    dest = tmp_path / "work" / "source.mp4"
    dest.parent.mkdir()

    await storage.download_file("uploads/u1/source", dest)

    assert dest.read_bytes() == b"original upload"


async def test_delete_prefix_deletes_only_that_prefix_and_counts(storage: ObjectStorage) -> None:
    keys = ["videos/a/master.m3u8", "videos/a/360/seg-1.m4s", "videos/ab/x", "videos/b/y"]
    for key in keys:
        await storage.put_bytes(key, b"data", "text/plain")

    deleted = await storage.delete_prefix("videos/a/")

    assert deleted == 2
    assert await storage.list_keys("") == ["videos/ab/x", "videos/b/y"]
    assert await storage.stat("videos/a/360/seg-1.m4s") is None
    assert await storage.delete_prefix("videos/a/") == 0


async def test_delete_removes_one_object_and_ignores_a_missing_one(
    storage: ObjectStorage,
) -> None:
    for key in ["videos/a/x", "videos/a/xy", "videos/a/x2/y"]:
        await storage.put_bytes(key, b"data", "text/plain")

    await storage.delete("videos/a/x")
    await storage.delete("videos/a/x")  # gone already: no error
    await storage.delete("videos/a/x2")  # a "directory", not an object: nothing happens

    assert await storage.stat("videos/a/x") is None
    assert await storage.list_keys("") == ["videos/a/x2/y", "videos/a/xy"]


async def test_delete_prefix_requires_a_trailing_slash(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/ab/x", b"data", "text/plain")

    with pytest.raises(InvalidKey):
        await storage.delete_prefix("videos/a")
    assert await storage.list_keys("videos/") == ["videos/ab/x"]


async def test_a_deleted_prefix_can_be_written_again(storage: ObjectStorage) -> None:
    await storage.put_bytes("videos/a/360/seg-1.m4s", b"one", SEGMENT)
    await storage.delete_prefix("videos/a/")

    await storage.put_bytes("videos/a/360/seg-1.m4s", b"two", SEGMENT)

    assert await storage.get_bytes("videos/a/360/seg-1.m4s") == b"two"


async def test_list_keys_returns_every_key_under_the_prefix_sorted(
    storage: ObjectStorage,
) -> None:
    keys = ["videos/v1/360/seg-2.m4s", "videos/v1/master.m3u8", "videos/v1/360/seg-1.m4s"]
    for key in [*keys, "videos/v10/master.m3u8", "uploads/u1/source"]:
        await storage.put_bytes(key, b"data", "text/plain")

    assert await storage.list_keys("videos/v1/") == sorted(keys)
    assert await storage.list_keys("videos/v1") == [*sorted(keys), "videos/v10/master.m3u8"]
    assert await storage.list_keys("videos/none/") == []


async def _put_bytes(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.put_bytes(key, b"x", "text/plain")


async def _put_file(storage: ObjectStorage, key: str, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"x")
    await storage.put_file(key, source, "text/plain")


async def _stat(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.stat(key)


async def _delete_prefix(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.delete_prefix(key + "/")


async def _delete(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.delete(key)


ALL_OPERATIONS = [
    _put_bytes,
    _put_file,
    _stat,
    _get_bytes,
    _read_range,
    _download,
    _delete_prefix,
    _delete,
]


@pytest.mark.parametrize("key", ["../x", "/abs", "A/B", "a//b", "", "a/../b", "a/", "a\n"])
async def test_invalid_keys_raise_invalid_key_in_every_operation(
    storage: ObjectStorage, tmp_path: Path, key: str
) -> None:
    for operation in ALL_OPERATIONS:
        with pytest.raises(InvalidKey):
            await operation(storage, key, tmp_path)
    assert await storage.list_keys("") == []


async def test_a_5_mib_object_round_trips(storage: ObjectStorage, tmp_path: Path) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)  # not a multiple of any chunk size
    source = tmp_path / "big.mp4"
    source.write_bytes(data)
    dest = tmp_path / "back.mp4"

    await storage.put_file("videos/v1/big.mp4", source, "video/mp4")
    await storage.download_file("videos/v1/big.mp4", dest)
    await storage.put_bytes("videos/v1/big2.mp4", data, "video/mp4")
    info = await storage.stat("videos/v1/big2.mp4")

    assert dest.read_bytes() == data
    assert await storage.get_bytes("videos/v1/big2.mp4") == data
    assert await read(storage, "videos/v1/big.mp4") == data
    assert (
        await read(storage, "videos/v1/big.mp4", 1_000_000, 4_000_000) == data[1_000_000:4_000_001]
    )
    assert info is not None
    assert info.size == len(data)


async def test_check_twice_leaves_a_reachable_backend_usable(storage: ObjectStorage) -> None:
    await storage.check()
    await storage.check()  # idempotent: S3 creates its bucket the first time only
    await storage.put_bytes("checked/one", b"after the check", "text/plain")
    assert await storage.get_bytes("checked/one") == b"after the check"


MIB = 1024 * 1024
SOURCE = "sources/v1/source"


async def _start_multipart(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.start_multipart(key, "text/plain")


async def _abort_multipart(storage: ObjectStorage, key: str, _: Path) -> None:
    await storage.abort_multipart(key, uuid.uuid4().hex)


@pytest.mark.parametrize("key", ["../x", "A/B", "", "a/"])
@pytest.mark.parametrize("operation", [_start_multipart, _abort_multipart])
async def test_invalid_keys_raise_invalid_key_in_multipart_operations(
    storage: ObjectStorage, tmp_path: Path, key: str, operation: Operation
) -> None:
    with pytest.raises(InvalidKey):
        await operation(storage, key, tmp_path)
    assert await storage.list_multipart("") == []


async def test_a_multipart_upload_joins_its_parts_in_order_and_shows_only_once_complete(
    storage: ObjectStorage,
) -> None:
    first, last = os.urandom(MIN_PART_BYTES), b"the short last part"
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    last_etag = await storage.put_part(SOURCE, upload_id, 2, last)  # any order
    first_etag = await storage.put_part(SOURCE, upload_id, 1, first)
    assert await storage.stat(SOURCE) is None
    assert await storage.list_keys("") == []

    await storage.complete_multipart(SOURCE, upload_id, [(1, first_etag), (2, last_etag)])

    assert await storage.get_bytes(SOURCE) == first + last
    info = await storage.stat(SOURCE)
    assert info is not None
    assert (info.size, info.content_type) == (len(first) + len(last), "video/mp4")
    assert await storage.list_keys("") == [SOURCE]
    assert await storage.list_multipart("") == []
    with pytest.raises(UploadMissing):
        await storage.put_part(SOURCE, upload_id, 3, b"too late")


async def test_a_part_stored_again_replaces_the_first_and_unnamed_parts_are_dropped(
    storage: ObjectStorage,
) -> None:
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    await storage.put_part(SOURCE, upload_id, 1, b"a" * MIN_PART_BYTES)
    again = await storage.put_part(SOURCE, upload_id, 1, b"b" * MIN_PART_BYTES)
    await storage.put_part(SOURCE, upload_id, 2, b"never named")
    third = await storage.put_part(SOURCE, upload_id, 3, b"end")

    await storage.complete_multipart(SOURCE, upload_id, [(1, again), (3, third)])

    assert await storage.get_bytes(SOURCE) == b"b" * MIN_PART_BYTES + b"end"


async def test_a_single_small_part_makes_a_small_object(storage: ObjectStorage) -> None:
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    etag = await storage.put_part(SOURCE, upload_id, 1, b"tiny")

    await storage.complete_multipart(SOURCE, upload_id, [(1, etag)])

    assert await storage.get_bytes(SOURCE) == b"tiny"


async def test_completion_refuses_bad_parts_and_leaves_the_upload_usable(
    storage: ObjectStorage,
) -> None:
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    small = await storage.put_part(SOURCE, upload_id, 1, b"small")
    big = await storage.put_part(SOURCE, upload_id, 2, b"x" * MIN_PART_BYTES)
    refused = [
        [(1, small), (2, big)],  # a part under the minimum that is not the last
        [(2, big), (3, small)],  # part 3 was never stored
        [(2, '"0123456789abcdef0123456789abcdef"')],  # another ETag
        [(2, big), (1, small)],  # out of order
    ]
    for parts in refused:
        with pytest.raises(PartsRefused):
            await storage.complete_multipart(SOURCE, upload_id, parts)
        assert await storage.stat(SOURCE) is None

    await storage.complete_multipart(SOURCE, upload_id, [(2, big)])
    assert await storage.get_bytes(SOURCE) == b"x" * MIN_PART_BYTES


async def test_abort_drops_every_part_and_is_idempotent(storage: ObjectStorage) -> None:
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    etag = await storage.put_part(SOURCE, upload_id, 1, b"partial")

    await storage.abort_multipart(SOURCE, upload_id)
    await storage.abort_multipart(SOURCE, upload_id)

    assert await storage.list_multipart("") == []
    with pytest.raises(UploadMissing):
        await storage.put_part(SOURCE, upload_id, 2, b"more")
    with pytest.raises(UploadMissing):
        await storage.complete_multipart(SOURCE, upload_id, [(1, etag)])
    assert await storage.list_keys("") == []


async def test_an_unknown_upload_id_is_upload_missing(storage: ObjectStorage) -> None:
    unknown = uuid.uuid4().hex
    with pytest.raises(UploadMissing):
        await storage.put_part(SOURCE, unknown, 1, b"x")
    with pytest.raises(UploadMissing):
        await storage.complete_multipart(SOURCE, unknown, [(1, '"abc"')])
    await storage.abort_multipart(SOURCE, unknown)  # nothing to drop: no error


@pytest.mark.parametrize("number", [0, MAX_PART_NUMBER + 1])
async def test_part_numbers_outside_1_to_10000_are_refused(
    storage: ObjectStorage, number: int
) -> None:
    upload_id = await storage.start_multipart(SOURCE, "video/mp4")
    with pytest.raises(ValueError, match="part numbers"):
        await storage.put_part(SOURCE, upload_id, number, b"x")
    await storage.abort_multipart(SOURCE, upload_id)


async def test_list_multipart_shows_uploads_in_progress_under_a_prefix(
    storage: ObjectStorage,
) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)  # server clocks may differ a little
    mine = await storage.start_multipart(SOURCE, "video/mp4")
    await storage.start_multipart("other/v2/source", "video/mp4")
    done = await storage.start_multipart("sources/v3/source", "video/mp4")
    etag = await storage.put_part("sources/v3/source", done, 1, b"x")
    await storage.complete_multipart("sources/v3/source", done, [(1, etag)])

    pending = await storage.list_multipart("sources/")

    assert [(p.key, p.upload_id) for p in pending] == [(SOURCE, mine)]
    assert pending[0].started > before
    assert pending[0].started.utcoffset() == timedelta(0)
    assert len(await storage.list_multipart("")) == 2
