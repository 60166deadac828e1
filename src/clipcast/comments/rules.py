"""What a comment's text may be, how comments sort, and the per-user posting limit (pure)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from clipcast.core.errors import InvalidInput

MIN_CHARS = 1
MAX_CHARS = 2_000
# Newlines are kept (paragraphs); tabs become spaces; any other control or format character is
# refused, so nothing invisible (bidi overrides, NULs, escape sequences) hides in a comment. The
# zero-width joiners stay: emoji sequences and several scripts need them.
_ALLOWED_CONTROLS = {"\n", "\u200c", "\u200d"}
_MAX_BLANK_LINES = 2


class CommentSort(StrEnum):
    TOP = "top"
    NEWEST = "newest"


@dataclass(frozen=True)
class RateRule:
    """At most `count` new comments per user in any `window`."""

    count: int = 5
    window: timedelta = timedelta(seconds=30)


def clean_body(raw: str) -> str:
    """The text as stored: NFC, `\\n` line ends, trimmed, blank runs shortened; or InvalidInput.

    Text stays text: markup is neither removed nor interpreted here; every page escapes it.
    """
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\t", " ")
    if len(text) > MAX_CHARS:
        raise InvalidInput(
            f"A comment is at most {MAX_CHARS:,} characters; this one has {len(text):,}.",
            code="comment_too_long",
        )
    if any(_is_forbidden(ch) for ch in text):
        raise InvalidInput("A comment may not hold control characters.", code="comment_bad_text")
    text = _shorten_blank_runs("\n".join(line.rstrip() for line in text.strip().split("\n")))
    if len(text) < MIN_CHARS:
        raise InvalidInput("A comment needs some text.", code="comment_empty")
    return text


def _is_forbidden(ch: str) -> bool:
    return ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")


def _shorten_blank_runs(text: str) -> str:
    longest = "\n" * (_MAX_BLANK_LINES + 2)
    while longest in text:
        text = text.replace(longest, "\n" * (_MAX_BLANK_LINES + 1))
    return text


def retry_after(recent: Sequence[datetime], now: datetime, rule: RateRule) -> int | None:
    """Seconds until the user may post again, or None if they may post now.

    `recent` holds the user's latest comments' times, newest first (at least `rule.count` of them
    when there are that many).
    """
    if len(recent) < rule.count:
        return None
    frees_at = recent[rule.count - 1] + rule.window
    if frees_at <= now:
        return None
    return max(1, math.ceil((frees_at - now).total_seconds()))
