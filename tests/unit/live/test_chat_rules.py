"""Rules of live chat text, the flood limit and moderation."""

from __future__ import annotations

import pytest

from clipcast.live.chat_rules import (
    FLOOD_LIMIT,
    FLOOD_WINDOW,
    MAX_CHARS,
    Restriction,
    TextRefusal,
    check_text,
    clean_text,
    flood_wait,
    timeout_until,
)


def test_text_is_one_trimmed_line_with_html_kept_as_text() -> None:
    assert clean_text("  hi\nthere\t\x00you  ") == "hi there you"
    assert clean_text("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"
    assert clean_text("abc\u202edcba") == "abcdcba"  # a direction override would flip the rest
    assert clean_text("👩\u200d💻 ok") == "👩\u200d💻 ok"  # joiners of emoji are kept


def test_empty_and_too_long_messages_are_refused_not_cut() -> None:
    assert check_text("") is TextRefusal.EMPTY
    assert check_text("x" * MAX_CHARS) is None
    assert check_text("x" * (MAX_CHARS + 1)) is TextRefusal.TOO_LONG


def test_three_messages_in_two_seconds_then_wait_for_the_oldest_to_leave() -> None:
    assert (FLOOD_LIMIT, FLOOD_WINDOW) == (3, 2.0)
    assert flood_wait([], 10.0) == 0
    assert flood_wait([10.0, 10.5], 11.0) == 0
    assert flood_wait([10.0, 10.5, 11.0], 11.2) == pytest.approx(0.8)
    assert flood_wait([10.0, 10.5, 11.0], 12.0) == 0  # the first left the window at 12.0
    assert flood_wait([5.0, 6.0, 10.0, 10.5], 11.0) == 0  # old messages do not count


def test_a_burst_is_held_to_the_limit_in_every_window() -> None:
    accepted: list[float] = []
    for tick in range(200):  # a flood: one try every 50 ms for 10 s
        now = tick * 0.05
        if flood_wait(accepted, now) == 0:
            accepted.append(now)
    assert len(accepted) == 15  # 3 per 2 s
    for start in accepted:
        assert sum(1 for t in accepted if start <= t < start + FLOOD_WINDOW) <= FLOOD_LIMIT


def test_timeouts_end_and_bans_do_not() -> None:
    timeout = Restriction(timeout_until(100.0, 300))
    assert timeout.active(399.0) and not timeout.active(400.0)
    assert Restriction(None).active(10**12)
    for seconds in (0, -5, 10**9, float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            timeout_until(100.0, seconds)
