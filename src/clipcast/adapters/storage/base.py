"""The object storage port: what clipcast needs from local disk or S3, nothing more."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

# Keys are built from server ids only; this guard makes a slip loud instead of a traversal.
# fullmatch, not match: "$" would also accept a trailing newline.
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


class InvalidKey(ValueError):
    pass


class ObjectMissing(KeyError):
    pass


# S3's rules for multipart uploads, kept by every adapter so that code tried on local disk
# works on S3: every part but the last at least 5 MiB, part numbers 1..10000.
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000


class UploadMissing(KeyError):
    """The multipart upload is unknown: never started, completed or aborted."""


class PartsRefused(ValueError):
    """Completion named a part not stored (or with another ETag), out of order, or too small."""


def check_key(key: str) -> str:
    """Return `key` if it is a safe object key, else raise InvalidKey."""
    if not _KEY.fullmatch(key) or ".." in key or len(key) > 512:
        raise InvalidKey(key)
    return key


def check_range(start: int, end: int | None) -> None:
    """Raise ValueError unless start..end (inclusive, None = to the end) is a byte range."""
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"bad byte range {start}..{end}")


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    etag: str  # quoted or not, as the backend gives it; the CDN route normalises
    content_type: str


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """A multipart upload started and neither completed nor aborted."""

    key: str
    upload_id: str
    started: datetime  # aware, UTC


def check_part_number(number: int) -> int:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise ValueError(f"part numbers run from 1 to {MAX_PART_NUMBER}, not {number}")
    return number


class ObjectStorage(Protocol):
    """Stores immutable media objects under server-made keys."""

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store the file at `path` under `key`, replacing any object there."""

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing any object there."""

    async def stat(self, key: str) -> ObjectInfo | None:
        """Size, ETag and type of the object, or None when it does not exist."""

    def read_range(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes start..end (inclusive; None = to the end). ObjectMissing if absent."""

    async def get_bytes(self, key: str) -> bytes:
        """The whole object. ObjectMissing if absent."""

    async def download_file(self, key: str, dest: Path) -> None:
        """Copy the object to a local file. ObjectMissing if absent."""

    async def delete(self, key: str) -> None:
        """Delete the object at `key`; nothing if there is none."""

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix` (ending in '/'); return how many."""

    async def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""

    async def start_multipart(self, key: str, content_type: str) -> str:
        """Begin an object stored in parts; returns the upload id. Nothing shows at `key` yet."""

    async def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        """Store part `number` (replacing one stored before); returns its ETag.
        UploadMissing if the upload is completed, aborted or unknown."""

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Sequence[tuple[int, str]]
    ) -> None:
        """Join the named parts (number, ETag; ascending) into the object at `key`, replacing
        any object there; parts not named are dropped. UploadMissing if the upload is aborted
        or unknown (completing it twice may succeed or raise it: S3 servers differ);
        PartsRefused, leaving the upload as it was, if a part is missing, has another ETag,
        is out of order, or is under MIN_PART_BYTES and not the last."""

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop the upload and every part stored for it; nothing if it is already gone."""

    async def list_multipart(self, prefix: str) -> list[PendingUpload]:
        """Every multipart upload in progress whose key starts with `prefix`."""

    async def check(self) -> None:
        """Raise if the backend cannot be reached (for /readyz and start-up)."""

    async def close(self) -> None:
        """Release connections."""
