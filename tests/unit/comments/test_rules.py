"""Comment text rules and the posting limit (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clipcast.comments.rules import MAX_CHARS, RateRule, clean_body, retry_after
from clipcast.core.errors import InvalidInput

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_markup_is_kept_verbatim() -> None:
    assert clean_body("<b>hi</b> &amp; <script>x</script>") == "<b>hi</b> &amp; <script>x</script>"


def test_emoji_sequences_with_zero_width_joiners_survive() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_body(f"we {family}") == f"we {family}"


def test_text_is_nfc_normalised() -> None:
    assert clean_body("cafe\u0301") == "caf\u00e9"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("x" * (MAX_CHARS + 1), "comment_too_long"),
        ("", "comment_empty"),
        ("\n\n ", "comment_empty"),
        ("nul\x00", "comment_bad_text"),
        ("\x1b[31mred", "comment_bad_text"),
        ("rtl \u2066override", "comment_bad_text"),
    ],
)
def test_bad_text_is_refused_with_its_code(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_body(raw)
    assert caught.value.code == code


def test_exactly_the_limit_is_accepted() -> None:
    assert len(clean_body("a" * MAX_CHARS)) == MAX_CHARS


def test_posting_is_free_below_the_count() -> None:
    rule = RateRule(count=3, window=timedelta(seconds=30))
    assert retry_after([NOW, NOW], NOW, rule) is None


def test_the_wait_runs_until_the_oldest_counted_post_leaves_the_window() -> None:
    rule = RateRule(count=3, window=timedelta(seconds=30))
    recent = [NOW - timedelta(seconds=s) for s in (1, 5, 12.5, 40)]
    assert retry_after(recent, NOW, rule) == 18  # 12.5 s ago + 30 s, rounded up
    assert retry_after(recent, NOW + timedelta(seconds=17.4), rule) == 1
    assert retry_after(recent, NOW + timedelta(seconds=17.5), rule) is None
