"""From what a person typed and picked to a `SearchQuery`: words, typos, the word being typed,
field weights, filters and who may see what (pure)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from clipcast.adapters.search.base import (
    FieldBoost,
    Filters,
    SearchQuery,
    SortOrder,
    TermMatch,
    TextField,
)
from clipcast.core.errors import InvalidInput
from clipcast.search.text import words

MAX_TERMS = 10  # past this a "query" is a pasted paragraph; its tail adds cost, not precision
MAX_WORD_CHARS = 40  # the index drops longer tokens, so they could never match
MAX_DEPTH = 10_000  # page * per_page: deep pages cost the index more than anyone reads
MIN_PREFIX_CHARS = 2  # one letter would match a good part of the dictionary
SUGGEST_LIMIT = 8

# A title word says most about a video, then its tags, then its description; the owner's
# name finds a channel's videos without drowning the rest. A typo or a half-typed word is a
# weaker signal than the exact word, so it scores a fraction of the field's weight.
FIELD_BOOSTS = (
    FieldBoost(TextField.TITLE, 4.0),
    FieldBoost(TextField.TAGS, 2.5),
    FieldBoost(TextField.DESCRIPTION, 1.0),
    FieldBoost(TextField.OWNER, 0.8),
)
TITLE_ONLY = (FieldBoost(TextField.TITLE, 1.0),)
FUZZY_WEIGHT = 0.3
PREFIX_WEIGHT = 0.5
PREFIX_FIELDS = frozenset({TextField.TITLE, TextField.TAGS})
# Typos are looked for where people expect them to be forgiven: the words they came for.
# A typo in a description or a username is rarely what someone meant, and matching one
# costs a walk over the biggest dictionaries.
FUZZY_FIELDS = frozenset({TextField.TITLE, TextField.TAGS})
# A misspelt word is compared with the words as written ("cookng" -> "cooking"). An inflected
# one is also compared by its stem, since the video may hold another form of it ("lesons" is
# two edits from "lesson" but its stem one): one typo there, as stems are short and two
# edits from a short stem reach unrelated words.
STEM_TYPOS = 1
# Typos are only looked for when the exact words find fewer results than this (as
# Typesense does): exact answers are better answers, and the exact pass is several times
# cheaper than walking the dictionaries for every word within one or two edits.
TYPO_THRESHOLD = 1


class DateWindow(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# Rolling windows: "today" is the last 24 hours wherever the viewer lives.
_WINDOW = {
    DateWindow.TODAY: timedelta(days=1),
    DateWindow.WEEK: timedelta(days=7),
    DateWindow.MONTH: timedelta(days=30),
    DateWindow.YEAR: timedelta(days=365),
}


@dataclass(frozen=True, slots=True)
class SearchParams:
    """What the caller asked for, as the API received it."""

    q: str = ""
    page: int = 1
    per_page: int = 20
    sort: SortOrder = SortOrder.RELEVANCE
    duration_min: float | None = None
    duration_max: float | None = None
    date: DateWindow | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None


def typo_distance(word: str) -> int:
    """Typos forgiven in a word: none below 4 letters (too many short words are one edit
    apart), one up to 7, two from 8."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def min_should_match(term_count: int) -> int:
    """Short queries need every word; from three words on, one may be missing, so a stray
    word ("how to play guitar") does not empty the results."""
    return term_count if term_count <= 2 else term_count - 1


def parse_terms(q: str, *, fuzzy_last: bool = True) -> tuple[TermMatch, ...]:
    """The query's distinct words; the last one, unless followed by a space, is still being
    typed and also matches as a prefix."""
    seen: dict[str, None] = {}
    for word in words(q):
        if len(word) <= MAX_WORD_CHARS:
            seen.setdefault(word)
    unique = list(seen)[:MAX_TERMS]
    typing = bool(q) and not q[-1].isspace()
    terms = []
    for position, word in enumerate(unique, start=1):
        last = position == len(unique)
        prefix = last and typing and len(word) >= MIN_PREFIX_CHARS
        distance = 0 if (last and prefix and not fuzzy_last) else typo_distance(word)
        terms.append(TermMatch(text=word, distance=distance, prefix=prefix))
    return tuple(terms)


def _utc(moment: datetime | None) -> datetime | None:
    # A date typed without a zone ("2024-05-01") means UTC, as every stored time is.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def upload_window(params: SearchParams, now: datetime) -> tuple[datetime | None, datetime | None]:
    """Explicit bounds and a named window together mean both apply: the narrower wins."""
    after, before = _utc(params.uploaded_after), _utc(params.uploaded_before)
    if params.date is not None:
        start = now - _WINDOW[params.date]
        after = start if after is None else max(after, start)
    if after is not None and before is not None and after > before:
        raise InvalidInput("uploaded_after is later than uploaded_before.", code="bad_date_range")
    return after, before


def build_filters(params: SearchParams, now: datetime) -> Filters:
    low, high = params.duration_min, params.duration_max
    if (low is not None and low < 0) or (high is not None and high < 0):
        raise InvalidInput("Durations are seconds, 0 or more.", code="bad_duration")
    if low is not None and high is not None and low > high:
        raise InvalidInput("duration_min is more than duration_max.", code="bad_duration")
    after, before = upload_window(params, now)
    tags = tuple(dict.fromkeys(t.strip() for t in params.tags if t.strip()))[:MAX_TERMS]
    owner = params.owner.strip().lower() if params.owner and params.owner.strip() else None
    return Filters(
        duration_min=low,
        duration_max=high,
        uploaded_after=after,
        uploaded_before=before,
        tags=tags,
        owner=owner,
    )


def check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput("page starts at 1; per_page is 1–100.", code="bad_page")
    if page * per_page > MAX_DEPTH:
        raise InvalidInput(
            f"Only the first {MAX_DEPTH} results can be paged through; refine the query.",
            code="bad_page",
        )


def build_search_query(
    params: SearchParams,
    *,
    viewer_id: uuid.UUID | None,
    now: datetime,
    groups: tuple[uuid.UUID, ...] = (),
) -> SearchQuery:
    """The query for one results page; `viewer_id` also finds the viewer's own unlisted and
    private videos, and nobody else's; `groups` (those the viewer is in) the group videos
    shared with them."""
    check_page(params.page, params.per_page)
    terms = parse_terms(params.q)
    # Without words there is no relevance to sort by; newest first is what people expect.
    sort = SortOrder.DATE if not terms and params.sort is SortOrder.RELEVANCE else params.sort
    return SearchQuery(
        terms=terms,
        min_should_match=min_should_match(len(terms)),
        fields=FIELD_BOOSTS,
        fuzzy_weight=FUZZY_WEIGHT,
        fuzzy_fields=FUZZY_FIELDS,
        prefix_weight=PREFIX_WEIGHT,
        prefix_fields=PREFIX_FIELDS,
        stem_typos=STEM_TYPOS,
        filters=build_filters(params, now),
        visible_to=viewer_id,
        visible_groups=groups if viewer_id is not None else (),
        sort=sort,
        offset=(params.page - 1) * params.per_page,
        limit=params.per_page,
    )


def build_suggest_query(
    q: str,
    *,
    viewer_id: uuid.UUID | None,
    limit: int = SUGGEST_LIMIT,
    groups: tuple[uuid.UUID, ...] = (),
) -> SearchQuery | None:
    """Titles to offer while typing: earlier words forgive typos, the last one is matched as
    typed so far (a typo in half a word would suggest unrelated titles). None: nothing to ask."""
    terms = parse_terms(q, fuzzy_last=False)
    if len(terms) > 1 and len(terms[-1].text) < MIN_PREFIX_CHARS and not q[-1].isspace():
        terms = terms[:-1]  # "guitar lesson f": the "f" says nothing yet; don't demand a word "f"
    if not terms:
        return None
    return SearchQuery(
        terms=terms,
        min_should_match=len(terms),
        fields=TITLE_ONLY,
        fuzzy_weight=FUZZY_WEIGHT,
        fuzzy_fields=frozenset({TextField.TITLE}),
        prefix_weight=PREFIX_WEIGHT,
        prefix_fields=frozenset({TextField.TITLE}),
        stem_typos=STEM_TYPOS,
        visible_to=viewer_id,
        visible_groups=groups if viewer_id is not None else (),
        limit=limit,
    )


def without_typos(query: SearchQuery) -> SearchQuery:
    """The same query with every word matched exactly (or as a prefix)."""
    return replace(query, terms=tuple(replace(t, distance=0) for t in query.terms))


def typo_pass_needed(query: SearchQuery, exact_total: int) -> bool:
    """Whether to search again forgiving typos, after the exact pass found `exact_total`."""
    return exact_total < TYPO_THRESHOLD and any(t.distance for t in query.terms)


class DurationBucket(StrEnum):
    """The search page's duration choices, as video sites name them."""

    SHORT = "short"  # under 4 minutes
    MEDIUM = "medium"  # 4 to 20 minutes
    LONG = "long"  # over 20 minutes


_Choice = TypeVar("_Choice", bound=StrEnum)

_BUCKET: dict[DurationBucket, tuple[float | None, float | None]] = {
    DurationBucket.SHORT: (None, 240.0),
    DurationBucket.MEDIUM: (240.0, 1200.0),
    DurationBucket.LONG: (1200.0, None),
}


def _choice(kind: type[_Choice], raw: str) -> _Choice | None:
    try:
        return kind(raw)
    except ValueError:
        return None


def page_params(
    *, q: str, page: int, per_page: int, sort: str, duration: str, date: str
) -> SearchParams:
    """The search page's form, read leniently: it comes from a URL anyone can edit, and an
    unknown choice there means "any", not an error page."""
    bucket = _choice(DurationBucket, duration)
    low, high = _BUCKET[bucket] if bucket else (None, None)
    return SearchParams(
        q=q,
        page=page,
        per_page=per_page,
        sort=_choice(SortOrder, sort) or SortOrder.RELEVANCE,
        duration_min=low,
        duration_max=high,
        date=_choice(DateWindow, date),
    )
