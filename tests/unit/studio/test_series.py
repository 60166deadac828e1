"""Views over time as the chart gets them: dense buckets, UTC days, the window's limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clipcast.core.errors import InvalidInput
from clipcast.studio.series import Bucket, points, window

NOW = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
HOUR_NOW = int(NOW.timestamp()) // 3600


def test_hourly_windows_end_with_the_current_hour_and_fill_every_hour() -> None:
    win = window(Bucket.HOUR, 3, NOW)
    assert (win.first_hour, win.last_hour) == (HOUR_NOW - 2, HOUR_NOW)
    got = points(win, {HOUR_NOW: 4, HOUR_NOW - 2: 1, HOUR_NOW - 3: 9, HOUR_NOW + 1: 7})
    assert [(p.start.hour, p.views) for p in got] == [(12, 1), (13, 0), (14, 4)]
    assert got[-1].start == datetime(2026, 3, 10, 14, tzinfo=UTC)


def test_daily_windows_sum_the_hours_of_each_utc_day() -> None:
    win = window(Bucket.DAY, 2, NOW)
    midnight = HOUR_NOW - 14
    assert (win.first_hour, win.last_hour) == (midnight - 24, midnight + 23)
    got = points(win, {midnight - 1: 2, midnight - 24: 1, midnight: 3, midnight + 14: 5})
    assert [(p.start, p.views) for p in got] == [
        (datetime(2026, 3, 9, tzinfo=UTC), 3),
        (datetime(2026, 3, 10, tzinfo=UTC), 8),
    ]


def test_default_spans() -> None:
    assert window(Bucket.HOUR, None, NOW).span == 48
    assert window(Bucket.DAY, None, NOW).span == 30
    assert len(points(window(Bucket.DAY, None, NOW), {})) == 30


@pytest.mark.parametrize(
    ("bucket", "span"), [(Bucket.HOUR, 0), (Bucket.HOUR, 337), (Bucket.DAY, 367)]
)
def test_spans_out_of_bounds_are_refused(bucket: Bucket, span: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        window(bucket, span, NOW)
    assert refused.value.code == "bad_span"
