"""Views over time as a chart draws them (pure): hourly counts summed into hour or UTC-day
buckets, every bucket of the window present (zeros included), oldest first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from clipcast.core.errors import InvalidInput

HOUR_SECONDS = 3600


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"


# Hours per bucket; how many buckets a window has by default and at most.
HOURS_IN = {Bucket.HOUR: 1, Bucket.DAY: 24}
DEFAULT_SPAN = {Bucket.HOUR: 48, Bucket.DAY: 30}
MAX_SPAN = {Bucket.HOUR: 24 * 14, Bucket.DAY: 366}


@dataclass(frozen=True)
class Window:
    """`span` buckets of `bucket`, the last one holding `now`: hours first_hour..last_hour
    (hours since the Unix epoch, inclusive)."""

    bucket: Bucket
    span: int
    first_hour: int
    last_hour: int


@dataclass(frozen=True)
class Point:
    start: datetime  # the bucket's first instant, UTC
    views: int


def window(bucket: Bucket, span: int | None, now: datetime) -> Window:
    """The window ending with the bucket that holds `now`; InvalidInput past MAX_SPAN."""
    size = DEFAULT_SPAN[bucket] if span is None else span
    if not 1 <= size <= MAX_SPAN[bucket]:
        raise InvalidInput(f"span is 1–{MAX_SPAN[bucket]} for {bucket} buckets.", code="bad_span")
    per = HOURS_IN[bucket]
    current = int(now.timestamp()) // HOUR_SECONDS // per  # the bucket now falls in
    first = (current - size + 1) * per
    return Window(bucket, size, first, (current + 1) * per - 1)


def points(win: Window, hourly: Mapping[int, int]) -> list[Point]:
    """Every bucket of the window with the views of its hours (hours outside are ignored)."""
    per = HOURS_IN[win.bucket]
    sums = [0] * win.span
    for hour, views in hourly.items():
        if win.first_hour <= hour <= win.last_hour:
            sums[(hour - win.first_hour) // per] += views
    return [
        Point(datetime.fromtimestamp((win.first_hour + i * per) * HOUR_SECONDS, UTC), n)
        for i, n in enumerate(sums)
    ]
