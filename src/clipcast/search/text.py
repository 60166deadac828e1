"""How search reads text: folding case and accents, splitting words, counting typos (pure)."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not take apart; the index's ASCII folding maps them like this.
_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
# Letters and digits only, like the index's tokenizer: "rock'n'roll" is rock, n, roll.
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: "Crème Brûlée" -> "creme brulee", "Straße" -> "strasse"."""
    if text.isascii():  # most text: nothing to take apart, and snippets fold every word
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_FOLD_EXTRA)


def words(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return _WORD.findall(fold(text))


def light_stem(word: str) -> str:
    """A rough English stem for highlighting ("lessons", "lesson" -> "lesson"); the index
    stems properly, this only has to agree on the common plural and verb endings."""
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def within_distance(a: str, b: str, limit: int) -> bool:
    """True when `a` becomes `b` with at most `limit` insertions, deletions, substitutions or
    swaps of neighbours (optimal string alignment, the distance tantivy's fuzzy match uses)."""
    if abs(len(a) - len(b)) > limit:
        return False
    if limit == 0 or a == b:
        return a == b
    if len(set(a) - set(b)) > limit:
        return False  # each letter `b` lacks costs an edit: a cheap no for most word pairs
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False  # every path already costs more than allowed
        previous2, previous = previous, current
    return previous[-1] <= limit
