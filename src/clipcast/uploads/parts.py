"""How an upload staged in object storage is cut into parts (pure)."""

from __future__ import annotations

from clipcast.adapters.storage.base import MAX_PART_NUMBER, MIN_PART_BYTES

MIB = 1024 * 1024


def part_size(length: int, smallest: int = MIN_PART_BYTES) -> int:
    """Whole MiB, at least `smallest`, and large enough that the file needs at most half of
    S3's part numbers: each is used once, and a retried part takes a new one."""
    fewest = -(-length // (MAX_PART_NUMBER // 2))  # ceiling division
    return max(smallest, -(-fewest // MIB) * MIB)


def tail_key(upload_id: str, token: str) -> str:
    """Where a tail (bytes acknowledged but not yet a part) is kept; unique per write."""
    return f"uploads/{upload_id}/tail-{token}"


def tails_prefix(upload_id: str) -> str:
    return f"uploads/{upload_id}/"
