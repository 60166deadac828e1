"""System-made video tags (pure): keywords of the title and description, the owner's tags, the
category, a duration band, and tags carried over from videos watched together — each with a
weight and the source it came from.

Keywords come from YAKE (a maintained, unsupervised keyword extractor with stop-word lists for
some 30 languages); the language is guessed from which of those lists covers the text best.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import yake

from clipcast.videos.tags import MAX_TAG_LENGTH

MAX_SYSTEM_TAGS = 12
KEYWORDS_PER_VIDEO = 6
# Weights say how much a source speaks for the video's subject: the owner knows best; a
# keyword is strong only when YAKE ranks it first; a band or a neighbour's tag is a hint.
OWNER_WEIGHT = 1.0
CATEGORY_WEIGHT = 0.8
KEYWORD_TOP_WEIGHT = 0.9
KEYWORD_LAST_WEIGHT = 0.4
DURATION_WEIGHT = 0.25
CARRIED_WEIGHT = 0.5
MIN_KEYWORD_LENGTH = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_KEYWORD = re.compile(r"^[^\W\d_][\w-]*$", re.UNICODE)
# Duration bands as tags (upper bound in seconds, tag); past the last: "long".
DURATION_BANDS: tuple[tuple[float, str], ...] = (
    (60.0, "short"),
    (300.0, "under 5 min"),
    (1200.0, "5-20 min"),
)
LONG_BAND = "long"


class TagSource(StrEnum):
    OWNER = "owner"
    CATEGORY = "category"
    KEYWORD = "keyword"
    DURATION = "duration"
    CARRIED = "carried"  # from videos watched together with this one


@dataclass(frozen=True)
class VideoTag:
    tag: str
    weight: float
    source: TagSource


@cache
def stopwords(language: str) -> frozenset[str]:
    """YAKE's stop-word list for a language code ('en', 'fr', …); empty if it has none."""
    path = resources.files("yake.core").joinpath(f"StopwordsList/stopwords_{language}.txt")
    if not path.is_file():
        return frozenset()
    text = path.read_bytes().decode("utf-8", errors="ignore")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cz", "ru")


def guess_language(text: str, candidates: Sequence[str] = LANGUAGES) -> str:
    """The candidate whose stop words cover most words of `text` (English when none does)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return "en"
    scores = {lang: sum(w in stopwords(lang) for w in words) for lang in candidates}
    best = max(candidates, key=lambda lang: (scores[lang], lang == "en"))
    return best if scores[best] > 0 else "en"


def clean_tag(raw: str) -> str | None:
    """A keyword as a tag: lower case, single spaces, within the tag rules; None if unfit."""
    tag = " ".join(raw.lower().split())
    if len(tag) < MIN_KEYWORD_LENGTH or len(tag) > MAX_TAG_LENGTH:
        return None
    return tag if all(_KEYWORD.match(part) for part in tag.split()) else None


def keywords(title: str, description: str, limit: int = KEYWORDS_PER_VIDEO) -> list[str]:
    """The title's and description's key words, best first, stop words left out. The title
    is repeated: it is short and says most about the subject."""
    text = f"{title}. {title}. {description}".strip()
    if not _WORD.search(text):
        return []
    language = guess_language(text)
    extractor = yake.KeywordExtractor(lan=language, n=1, top=limit * 2)
    stop = stopwords(language)
    out: list[str] = []
    for phrase, _score in extractor.extract_keywords(text):
        tag = clean_tag(phrase)
        if tag and tag not in stop and not _same_word(tag, out):
            out.append(tag)
    return out[:limit]


def _same_word(tag: str, taken: Sequence[str]) -> bool:
    """'wave' after 'waves' (or the reverse) is the same tag twice."""
    return any(tag == t or tag.rstrip("s") == t.rstrip("s") for t in taken)


def duration_band(seconds: float | None) -> str | None:
    if seconds is None or seconds <= 0:
        return None
    for limit, band in DURATION_BANDS:
        if seconds < limit:
            return band
    return LONG_BAND


def keyword_weight(position: int, count: int) -> float:
    """First keyword KEYWORD_TOP_WEIGHT, the last KEYWORD_LAST_WEIGHT, linear between."""
    if count <= 1:
        return KEYWORD_TOP_WEIGHT
    step = (KEYWORD_TOP_WEIGHT - KEYWORD_LAST_WEIGHT) / (count - 1)
    return KEYWORD_TOP_WEIGHT - position * step


def carried_over(neighbours: Iterable[tuple[Mapping[str, float], float]]) -> dict[str, float]:
    """Tags of co-watched videos: each neighbour's tag weight × how strongly the two are
    watched together (0..1) × CARRIED_WEIGHT, the strongest vote per tag."""
    out: dict[str, float] = {}
    for tags, strength in neighbours:
        for tag, weight in tags.items():
            vote = CARRIED_WEIGHT * weight * max(0.0, min(strength, 1.0))
            out[tag] = max(out.get(tag, 0.0), vote)
    return out


@dataclass(frozen=True)
class VideoFacts:
    title: str
    description: str
    owner_tags: Sequence[str]
    duration: float | None
    category: str | None = None


def video_tags(facts: VideoFacts, carried: Mapping[str, float] | None = None) -> list[VideoTag]:
    """Every source's tags merged: a tag named by several keeps its heaviest weight and that
    source; the heaviest MAX_SYSTEM_TAGS are kept, heaviest first (ties by name)."""
    found: dict[str, VideoTag] = {}

    def offer(tag: str | None, weight: float, source: TagSource) -> None:
        if tag and (tag not in found or found[tag].weight < weight):
            found[tag] = VideoTag(tag, round(weight, 4), source)

    for tag in facts.owner_tags:
        offer(tag, OWNER_WEIGHT, TagSource.OWNER)
    if facts.category:
        offer(clean_tag(facts.category), CATEGORY_WEIGHT, TagSource.CATEGORY)
    words = keywords(facts.title, facts.description)
    for n, word in enumerate(words):
        offer(word, keyword_weight(n, len(words)), TagSource.KEYWORD)
    offer(duration_band(facts.duration), DURATION_WEIGHT, TagSource.DURATION)
    for tag, weight in (carried or {}).items():
        offer(tag, weight, TagSource.CARRIED)
    ranked = sorted(found.values(), key=lambda t: (-t.weight, t.tag))
    return ranked[:MAX_SYSTEM_TAGS]
