"""uvicorn's access lines: media answered well are dropped by default, the rest kept."""

from __future__ import annotations

import logging

import pytest

from clipcast.ops.logs import QuietMedia


def _access(path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", status),
        None,
    )


@pytest.mark.parametrize(
    ("path", "status", "kept"),
    [
        ("/cdn/videos/v/240/clip_00001.m4s", 200, False),
        ("/cdn/videos/v/master.m3u8", 304, False),
        ("/cdn/videos/v/master.m3u8", 206, False),
        ("/cdn/videos/v/master.m3u8", 404, True),  # a refusal or a miss is worth a line
        ("/cdn/s/abc/1/0/videos/v/master.m3u8", 500, True),
        ("/api/v1/videos", 200, True),
        ("/watch/v", 200, True),
    ],
)
def test_media_answered_well_is_not_logged(path: str, status: int, kept: bool) -> None:
    assert QuietMedia().filter(_access(path, status)) is kept


def test_other_records_pass() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "started", None, None)
    assert QuietMedia().filter(record) is True
