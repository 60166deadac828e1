"""Object keys: only server-made shapes pass, so a slip can never become a path traversal."""

from __future__ import annotations

import pytest

from clipcast.adapters.storage.base import InvalidKey, check_key, check_range


@pytest.mark.parametrize(
    "key",
    [
        "a",
        "videos/0b3f5c2e-1d2a-4c3b-9e8f-0a1b2c3d4e5f/master.m3u8",
        "videos/v1/360/seg-00001.m4s",
        "videos/v1/360/init.mp4",
        "uploads/u1/source",
        "thumbs/v1/sprite_0.webp",
        "a.b-c_d/e",
        "0/1/2",
        "a" * 512,
    ],
)
def test_server_made_keys_are_returned_unchanged(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("../x", id="parent"),
        pytest.param("a/../b", id="inner-parent"),
        pytest.param("a/..", id="trailing-parent"),
        pytest.param("a..b", id="double-dot-inside-a-segment"),
        pytest.param("./a", id="current-dir"),
        pytest.param("a/./b", id="inner-current-dir"),
        pytest.param("/abs", id="absolute"),
        pytest.param("a/", id="trailing-slash"),
        pytest.param("a//b", id="empty-segment"),
        pytest.param("A/B", id="upper-case"),
        pytest.param(".hidden", id="leading-dot"),
        pytest.param("a/.meta", id="dot-segment"),
        pytest.param("-a", id="leading-dash"),
        pytest.param("a b", id="space"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a\n", id="trailing-newline"),
        pytest.param("a\nb", id="inner-newline"),
        pytest.param("a\x00", id="nul"),
        pytest.param("vidéo", id="non-ascii"),
        pytest.param("a?b", id="query"),
        pytest.param("a%2fb", id="percent"),
        pytest.param("a" * 513, id="too-long"),
    ],
)
def test_unsafe_keys_raise_invalid_key(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)


def test_invalid_key_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="A/B"):
        check_key("A/B")


def _accepted(start: int, end: int | None) -> bool:
    try:
        check_range(start, end)
    except ValueError:
        return False
    return True


def test_byte_ranges_from_start_to_an_end_at_or_after_it_pass() -> None:
    ranges = [(0, None), (0, 0), (5, 9), (7, None), (5, 5)]
    assert [_accepted(start, end) for start, end in ranges] == [True] * len(ranges)
    assert not _accepted(5, 4)


@pytest.mark.parametrize(("start", "end"), [(-1, None), (-1, 5), (5, 4)])
def test_byte_ranges_that_run_backwards_or_start_before_zero_fail(
    start: int, end: int | None
) -> None:
    with pytest.raises(ValueError, match="bad byte range"):
        check_range(start, end)
