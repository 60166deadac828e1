"""The object storage port: what clipcast needs from local disk or S3, nothing more."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Keys are built from server ids only; this guard makes a slip loud instead of a traversal.
# fullmatch, not match: "$" would also accept a trailing newline.
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*")


class InvalidKey(ValueError):
    pass


class ObjectMissing(KeyError):
    pass


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

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with `prefix` (ending in '/'); return how many."""

    async def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""

    async def check(self) -> None:
        """Raise if the backend cannot be reached (for /readyz and start-up)."""

    async def close(self) -> None:
        """Release connections."""
