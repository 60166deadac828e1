"""Object storage on an S3-compatible server (SeaweedFS, MinIO, AWS) through boto3."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from clipcast.adapters.storage.base import (
    InvalidKey,
    ObjectInfo,
    ObjectMissing,
    PartsRefused,
    PendingUpload,
    UploadMissing,
    check_key,
    check_part_number,
    check_range,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

CHUNK = 256 * 1024
_DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_NO_BUCKET = frozenset({"404", "NoSuchBucket", "NotFound"})
_NO_UPLOAD = frozenset({"NoSuchUpload"})
_BAD_PARTS = frozenset({"InvalidPart", "InvalidPartOrder", "EntityTooSmall"})


class S3Storage:
    """Stores each object under its key in one bucket; boto3 calls run in worker threads."""

    def __init__(
        self, *, endpoint_url: str, bucket: str, region: str, access_key: str, secret_key: str
    ) -> None:
        config = Config(
            region_name=region,
            signature_version="s3v4",
            # Self-hosted servers are reached by IP or one host name, not per-bucket subdomains.
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
            # botocore now adds CRC checksums to every upload by default; several S3-compatible
            # servers reject or mishandle them, so send them only where the API demands one.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # A private session: boto3's default session is shared and not safe to build in threads.
        session = boto3.session.Session()
        self._client: S3Client = session.client(
            "s3",
            endpoint_url=endpoint_url or None,  # empty: AWS itself
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
        self._bucket = bucket
        self._region = region

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        # upload_file switches to a multipart upload for big files (PutObject stops at 5 GB).
        await asyncio.to_thread(
            self._client.upload_file,
            str(path),
            self._bucket,
            check_key(key),
            ExtraArgs={"ContentType": content_type},
        )

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self._bucket,
            Key=check_key(key),
            Body=data,
            ContentType=content_type,
        )

    async def stat(self, key: str) -> ObjectInfo | None:
        try:
            head = await asyncio.to_thread(
                self._client.head_object, Bucket=self._bucket, Key=check_key(key)
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return ObjectInfo(
            size=head["ContentLength"],
            etag=head["ETag"],
            content_type=head.get("ContentType") or "application/octet-stream",
        )

    async def read_range(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        check_range(start, end)
        # Always ranged, so one code path; S3 clamps an end past the object's last byte.
        wanted = f"bytes={start}-{'' if end is None else end}"
        try:
            got = await asyncio.to_thread(
                self._client.get_object, Bucket=self._bucket, Key=check_key(key), Range=wanted
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(key) from exc
            if _code(exc) == "InvalidRange":
                return  # start at or past the end (or an empty object): no bytes, as on disk
            raise
        body = got["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK):
                yield chunk
        finally:
            body.close()

    async def get_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self._get_bytes, check_key(key))

    def _get_bytes(self, key: str) -> bytes:
        try:
            got = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(key) from exc
            raise
        with got["Body"] as body:
            return body.read()

    async def download_file(self, key: str, dest: Path) -> None:
        # download_file writes a temp file beside `dest` and renames it when complete.
        try:
            await asyncio.to_thread(
                self._client.download_file, self._bucket, check_key(key), str(dest)
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise ObjectMissing(key) from exc
            raise

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(
            self._client.delete_object, Bucket=self._bucket, Key=check_key(key)
        )  # S3 answers a delete of a missing key with success too

    async def delete_prefix(self, prefix: str) -> int:
        # Demanding the trailing slash keeps "videos/ab/" from also deleting "videos/abc/…".
        if not prefix.endswith("/"):
            raise InvalidKey(f"delete_prefix needs a prefix ending in '/': {prefix!r}")
        check_key(prefix.removesuffix("/"))
        keys = await self.list_keys(prefix)
        for i in range(0, len(keys), _DELETE_BATCH):
            await asyncio.to_thread(self._delete_batch, keys[i : i + _DELETE_BATCH])
        return len(keys)

    def _delete_batch(self, keys: list[str]) -> None:
        result = self._client.delete_objects(
            Bucket=self._bucket,
            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
        )
        if errors := result.get("Errors"):
            first = errors[0]
            raise OSError(
                f"S3 refused to delete {len(errors)} objects, first {first.get('Key')!r}: "
                f"{first.get('Code')} {first.get('Message')}"
            )

    async def list_keys(self, prefix: str) -> list[str]:
        if prefix:
            check_key(prefix.removesuffix("/"))
        return sorted(await asyncio.to_thread(self._list_keys, prefix))

    def _list_keys(self, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    async def start_multipart(self, key: str, content_type: str) -> str:
        started = await asyncio.to_thread(
            self._client.create_multipart_upload,
            Bucket=self._bucket,
            Key=check_key(key),
            ContentType=content_type,
        )
        return started["UploadId"]

    async def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        try:
            stored = await asyncio.to_thread(
                self._client.upload_part,
                Bucket=self._bucket,
                Key=check_key(key),
                UploadId=upload_id,
                PartNumber=check_part_number(number),
                Body=data,
            )
        except ClientError as exc:
            raise _multipart_error(exc, key, upload_id) from exc
        return stored["ETag"]

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        named: list[CompletedPartTypeDef] = [
            {"PartNumber": check_part_number(n), "ETag": etag} for n, etag in parts
        ]
        try:
            await asyncio.to_thread(
                self._client.complete_multipart_upload,
                Bucket=self._bucket,
                Key=check_key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": named},
            )
        except ClientError as exc:
            raise _multipart_error(exc, key, upload_id) from exc

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            await asyncio.to_thread(
                self._client.abort_multipart_upload,
                Bucket=self._bucket,
                Key=check_key(key),
                UploadId=upload_id,
            )
        except ClientError as exc:
            if _code(exc) not in _NO_UPLOAD:  # already gone: what abort wants
                raise

    async def list_multipart(self, prefix: str) -> list[PendingUpload]:
        if prefix:
            check_key(prefix.removesuffix("/"))
        found = await asyncio.to_thread(self._list_multipart, prefix)
        return sorted(found, key=lambda p: (p.key, p.started))

    def _list_multipart(self, prefix: str) -> list[PendingUpload]:
        pages = self._client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        return [
            PendingUpload(
                key=upload["Key"],
                upload_id=upload["UploadId"],
                started=upload["Initiated"].astimezone(UTC),
            )
            for page in pages
            for upload in page.get("Uploads", [])
        ]

    async def check(self) -> None:
        await self.ensure_bucket()

    async def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet; raise if the server cannot be reached."""
        await asyncio.to_thread(self._ensure_bucket)

    def _ensure_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self._bucket)
        except ClientError as exc:
            if _code(exc) not in _NO_BUCKET:
                raise
        else:
            return
        try:
            if self._region == "us-east-1":  # AWS rejects an explicit us-east-1 constraint
                self._client.create_bucket(Bucket=self._bucket)
            else:
                region = cast("BucketLocationConstraintType", self._region)
                self._client.create_bucket(
                    Bucket=self._bucket, CreateBucketConfiguration={"LocationConstraint": region}
                )
        except ClientError as exc:
            if _code(exc) != "BucketAlreadyOwnedByYou":  # another process won the race
                raise

    async def close(self) -> None:
        self._client.close()


def _multipart_error(exc: ClientError, key: str, upload_id: str) -> Exception:
    """The port's error for what S3 said about a multipart upload, else S3's own."""
    if _code(exc) in _NO_UPLOAD:
        return UploadMissing(f"{key} {upload_id}")
    if _code(exc) in _BAD_PARTS:
        return PartsRefused(f"{_code(exc)}: {exc}")
    return exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
