"""Highlighted snippets of titles and descriptions: HTML-escaped text with the words that
matched wrapped in <mark> (pure).

The UI inserts these as HTML, so everything a user wrote is escaped here and the only markup
in the result is <mark>…</mark>, which this module adds itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence

from clipcast.adapters.search.base import TermMatch
from clipcast.search.text import fold, light_stem, within_distance

DESCRIPTION_CHARS = 180
_CONTEXT_BEFORE = 50  # characters shown before the first match in a long description
_SCAN_CHARS = 5_000  # a match further into a long description is not worth the time
_WORD = re.compile(r"[^\W_]+")
_ENDINGS = "(?:ing|es|ed|s)?"  # the endings light_stem takes off


class Highlighter:
    """Marks the words of texts that answer a query's words: the same word, the same light
    stem, the start of the word being typed, and in titles a near miss of a typo-tolerant
    word. Descriptions are not searched with typos (query.FUZZY_FIELDS): there only the
    near misses already met in titles ("gutiar" -> "guitar") are marked, so a description
    is not littered with every word that happens to be two letters from the query.

    One per results page: texts share words, and each word is judged once.
    """

    def __init__(self, terms: Sequence[TermMatch]) -> None:
        alternatives = []
        for term in terms:
            alternatives.append(re.escape(term.text) + ("[^\\W_]*" if term.prefix else ""))
            alternatives.append(re.escape(light_stem(term.text)) + _ENDINGS)
        self._alternatives = alternatives
        self._stems = {light_stem(t.text) for t in terms}
        self._typos = [(t.text, t.distance) for t in terms if t.distance]
        self._corrections: list[str] = []  # title words that matched as near misses
        self._seen: dict[tuple[str, bool], bool] = {}
        self._rebuild()

    def _rebuild(self) -> None:
        # Whole words only. Over ASCII text it is one pass in C; it also judges single
        # folded words (fullmatch).
        words = self._alternatives + [re.escape(c) for c in self._corrections]
        body = "|".join(words) or "(?!)"
        self._regex = re.compile(f"(?<![^\\W_])(?:{body})(?![^\\W_])", re.IGNORECASE)
        # Every match contains one of these: a text without any is passed over cheaply.
        self._literals = self._stems | set(self._corrections)

    def highlight(self, text: str) -> str:
        """All of `text` (a title), escaped, with matching words marked."""
        return self._marked(text, typos=True)

    def fragment(self, text: str, size: int = DESCRIPTION_CHARS) -> str:
        """About `size` characters of `text` around its first match (its start when nothing
        matches), escaped, matches marked, with an ellipsis where it was cut."""
        text = " ".join(text.split())  # line breaks and runs of spaces read badly in one line
        if len(text) <= size:
            return self._marked(text, typos=False)
        first = next(self._spans(text[:_SCAN_CHARS], typos=False), None)
        start = 0 if first is None else max(0, first[0] - _CONTEXT_BEFORE)
        start, end = _window(text, start, size)
        body = self._marked(text[start:end], typos=False)
        return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")

    def _matches(self, word: str, typos: bool) -> bool:
        key = (word, typos)
        known = self._seen.get(key)
        if known is None:
            folded = fold(word)
            known = self._regex.fullmatch(folded) is not None
            if not known and typos:
                known = any(within_distance(folded, t, d) for t, d in self._typos)
                if known:
                    self._corrections.append(folded)
                    self._rebuild()
                    self._seen = {k: v for k, v in self._seen.items() if k[1]}  # may change now
            self._seen[key] = known
        return known

    def _spans(self, text: str, typos: bool) -> Iterator[tuple[int, int]]:
        if text.isascii() and not (typos and self._typos):
            lowered = text.lower()
            if not any(literal in lowered for literal in self._literals):
                return
            for found in self._regex.finditer(text):
                yield found.span()
            return
        # Accented text or typos: word by word, each folded like the index folds it.
        for found in _WORD.finditer(text):
            if self._matches(found.group(), typos):
                yield found.span()

    def _marked(self, text: str, typos: bool) -> str:
        out: list[str] = []
        cursor = 0
        for start, end in self._spans(text, typos):
            out.append(html.escape(text[cursor:start]))
            out.append(f"<mark>{html.escape(text[start:end])}</mark>")
            cursor = end
        out.append(html.escape(text[cursor:]))
        return "".join(out)


def _window(text: str, start: int, size: int) -> tuple[int, int]:
    """A window of about `size` characters from `start`, widened to whole words."""
    if start > 0:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else 0
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def highlight(text: str, terms: Sequence[TermMatch]) -> str:
    """`Highlighter(terms).highlight(text)`, for one text."""
    return Highlighter(terms).highlight(text)


def fragment(text: str, terms: Sequence[TermMatch], size: int = DESCRIPTION_CHARS) -> str:
    """`Highlighter(terms).fragment(text, size)`, for one text."""
    return Highlighter(terms).fragment(text, size)
