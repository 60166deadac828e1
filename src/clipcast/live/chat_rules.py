"""Rules of live chat messages: what text is accepted, the flood limit, moderation (pure).

Text is kept as sent (HTML included) and only ever shown as text: pages set `textContent`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

MAX_CHARS = 200  # as YouTube's live chat; longer is refused, never cut
FLOOD_LIMIT = 3  # messages accepted per user and stream in any FLOOD_WINDOW seconds
FLOOD_WINDOW = 2.0
MAX_TIMEOUT_SECONDS = 24 * 3600
# Direction overrides and isolates: a message could turn the name or text around it backwards.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


class TextRefusal(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


def clean_text(raw: str) -> str:
    """One line of text: control characters become spaces, runs of space one space,
    direction controls are dropped, the ends trimmed."""
    text = _BIDI_CONTROLS.sub("", raw)
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def check_text(text: str) -> TextRefusal | None:
    if not text:
        return TextRefusal.EMPTY
    if len(text) > MAX_CHARS:
        return TextRefusal.TOO_LONG
    return None


def flood_wait(
    accepted: Sequence[float], now: float, limit: int = FLOOD_LIMIT, window: float = FLOOD_WINDOW
) -> float:
    """Seconds until one more message may be accepted, given the times (seconds) of the
    sender's accepted messages: 0 when fewer than `limit` fall in the last `window`."""
    recent = sorted(t for t in accepted if now - window < t <= now)
    if len(recent) < limit:
        return 0.0
    return recent[-limit] + window - now


@dataclass(frozen=True, slots=True)
class Restriction:
    """A user the owner stopped from posting: until a time (seconds), or banned (None)."""

    until: float | None

    def active(self, now: float) -> bool:
        return self.until is None or self.until > now


def timeout_until(now: float, seconds: float) -> float:
    """The end of a timeout of `seconds` (1 s to a day)."""
    if not math.isfinite(seconds) or not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"a timeout lasts 1 to {MAX_TIMEOUT_SECONDS} seconds")
    return now + seconds
