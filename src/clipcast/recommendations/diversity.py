"""The diversity cap (pure): no channel takes more than its share of a row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def max_per_row(row_size: int, share: float) -> int:
    """How many items of one channel a row of `row_size` may hold (at least one)."""
    return max(1, int(row_size * share))


def cap_channels(
    ranked: Sequence[T],
    channel_of: Callable[[T], Hashable | None],
    *,
    row_size: int,
    share: float,
    backfill: bool = True,
) -> list[T]:
    """Reorder `ranked` so that each consecutive row of `row_size` items holds at most
    `max_per_row` of one channel: an item over its channel's cap waits for the next row.
    With `backfill`, items still waiting at the end close the list (a site with one channel
    still gets recommendations); without it they are dropped. An item with no channel is
    never capped."""
    limit = max_per_row(row_size, share)
    out: list[T] = []
    waiting: list[T] = list(ranked)
    while waiting:
        counts: Counter[Hashable] = Counter()
        row: list[T] = []
        later: list[T] = []
        for item in waiting:
            channel = channel_of(item)
            if len(row) < row_size and (channel is None or counts[channel] < limit):
                row.append(item)
                if channel is not None:
                    counts[channel] += 1
            else:
                later.append(item)
        if len(row) < row_size:  # nothing else fits: the rest is over the cap
            out.extend(row)
            if backfill:
                out.extend(later)
            return out
        out.extend(row)
        waiting = later
    return out
