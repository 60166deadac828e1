"""Building search queries from what people type and pick: typos, prefixes, weights, filters,
who may see what (pure; no index involved)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clipcast.adapters.search.base import SortOrder, TermMatch, TextField
from clipcast.core.errors import InvalidInput
from clipcast.search.query import (
    MAX_TERMS,
    DateWindow,
    SearchParams,
    build_search_query,
    build_suggest_query,
    min_should_match,
    page_params,
    parse_terms,
    typo_distance,
)
from clipcast.search.text import fold, within_distance, words

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ALICE = uuid.UUID(int=1)


@pytest.mark.parametrize(
    ("word", "distance"),
    [("cat", 0), ("bake", 1), ("lessons", 1), ("beginner", 2), ("photography", 2)],
)
def test_typos_forgiven_grow_with_word_length(word: str, distance: int) -> None:
    assert typo_distance(word) == distance


def test_words_are_folded_for_case_and_accents() -> None:
    assert words("Crème BRÛLÉE, Straße & Ærø!") == ["creme", "brulee", "strasse", "aero"]
    assert fold("Ça Va") == "ca va"


def test_punctuation_splits_words_like_the_index_does() -> None:
    assert words("rock'n'roll_mix 4k-video") == ["rock", "n", "roll", "mix", "4k", "video"]


def test_last_word_being_typed_is_a_prefix_with_typos_allowed_elsewhere() -> None:
    assert parse_terms("gutiar less") == (
        TermMatch("gutiar", distance=1),
        TermMatch("less", distance=1, prefix=True),
    )


def test_a_trailing_space_means_the_last_word_is_finished() -> None:
    assert parse_terms("guitar ")[-1] == TermMatch("guitar", distance=1, prefix=False)


def test_one_letter_is_not_used_as_a_prefix() -> None:
    assert parse_terms("a g") == (TermMatch("a"), TermMatch("g"))


def test_repeated_words_count_once_and_long_queries_are_cut() -> None:
    assert [t.text for t in parse_terms("cat cat dog")] == ["cat", "dog"]
    many = " ".join(f"word{i}" for i in range(30))
    assert len(parse_terms(many)) == MAX_TERMS


def test_words_longer_than_the_index_keeps_are_dropped() -> None:
    assert parse_terms("x" * 41 + " cat") == (TermMatch("cat", prefix=True),)


@pytest.mark.parametrize(("count", "needed"), [(1, 1), (2, 2), (3, 2), (5, 4)])
def test_from_three_words_one_may_be_missing(count: int, needed: int) -> None:
    assert min_should_match(count) == needed


def test_title_weighs_most_then_tags_description_owner() -> None:
    query = build_search_query(SearchParams(q="guitar"), viewer_id=None, now=NOW)
    boosts = {fb.field: fb.boost for fb in query.fields}
    assert (
        boosts[TextField.TITLE]
        > boosts[TextField.TAGS]
        > boosts[TextField.DESCRIPTION]
        > boosts[TextField.OWNER]
    )
    assert 0 < query.fuzzy_weight < 1
    assert 0 < query.prefix_weight < 1


def test_anonymous_queries_see_listed_videos_only_and_users_also_their_own() -> None:
    anonymous = build_search_query(SearchParams(q="x"), viewer_id=None, now=NOW)
    alice = build_search_query(SearchParams(q="x"), viewer_id=ALICE, now=NOW)
    assert anonymous.visible_to is None
    assert alice.visible_to == ALICE


def test_no_words_sorts_newest_first_instead_of_by_relevance() -> None:
    assert build_search_query(SearchParams(q="  "), viewer_id=None, now=NOW).sort is SortOrder.DATE
    popular = SearchParams(q="", sort=SortOrder.POPULARITY)
    assert build_search_query(popular, viewer_id=None, now=NOW).sort is SortOrder.POPULARITY


def test_page_turns_into_offset_and_limit() -> None:
    query = build_search_query(SearchParams(q="x", page=3, per_page=20), viewer_id=None, now=NOW)
    assert (query.offset, query.limit) == (40, 20)


@pytest.mark.parametrize(("page", "per_page"), [(0, 20), (1, 0), (1, 101), (600, 20)])
def test_bad_or_too_deep_pages_are_refused(page: int, per_page: int) -> None:
    with pytest.raises(InvalidInput):
        build_search_query(SearchParams(page=page, per_page=per_page), viewer_id=None, now=NOW)


@pytest.mark.parametrize(
    ("window", "days"),
    [(DateWindow.TODAY, 1), (DateWindow.WEEK, 7), (DateWindow.MONTH, 30), (DateWindow.YEAR, 365)],
)
def test_date_windows_roll_back_from_now(window: DateWindow, days: int) -> None:
    query = build_search_query(SearchParams(date=window), viewer_id=None, now=NOW)
    assert query.filters.uploaded_after == NOW - timedelta(days=days)
    assert query.filters.uploaded_before is None


def test_explicit_dates_and_a_window_combine_to_the_narrower_bound() -> None:
    early = NOW - timedelta(days=100)
    params = SearchParams(date=DateWindow.WEEK, uploaded_after=early)
    assert build_search_query(params, viewer_id=None, now=NOW).filters.uploaded_after == (
        NOW - timedelta(days=7)
    )


def test_dates_without_a_zone_are_utc() -> None:
    params = SearchParams(uploaded_before=datetime(2024, 5, 1))
    before = build_search_query(params, viewer_id=None, now=NOW).filters.uploaded_before
    assert before == datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "params",
    [
        SearchParams(duration_min=100, duration_max=10),
        SearchParams(duration_min=-1),
        SearchParams(uploaded_after=NOW, uploaded_before=NOW - timedelta(days=1)),
    ],
)
def test_contradictory_filters_are_the_callers_mistake(params: SearchParams) -> None:
    with pytest.raises(InvalidInput):
        build_search_query(params, viewer_id=None, now=NOW)


def test_tags_and_owner_are_trimmed_and_owner_lowercased() -> None:
    params = SearchParams(tags=(" guitar", "", "guitar", "music "), owner=" Alice ")
    filters = build_search_query(params, viewer_id=None, now=NOW).filters
    assert filters.tags == ("guitar", "music")
    assert filters.owner == "alice"


def test_suggestions_match_titles_and_the_half_typed_word_without_typos() -> None:
    query = build_suggest_query("gutiar lesso", viewer_id=ALICE)
    assert query is not None
    assert [fb.field for fb in query.fields] == [TextField.TITLE]
    assert query.terms == (TermMatch("gutiar", 1), TermMatch("lesso", 0, prefix=True))
    assert query.min_should_match == 2
    assert query.visible_to == ALICE
    assert build_suggest_query(" !? ", viewer_id=None) is None


def test_search_page_reads_unknown_choices_as_any() -> None:
    params = page_params(q="x", page=1, per_page=20, sort="bogus", duration="eternal", date="?")
    assert params.sort is SortOrder.RELEVANCE
    assert (params.duration_min, params.duration_max, params.date) == (None, None, None)
    short = page_params(q="", page=1, per_page=20, sort="date", duration="short", date="week")
    assert (short.sort, short.duration_max, short.date) == (SortOrder.DATE, 240.0, DateWindow.WEEK)


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("gutiar", "guitar", 1, True),  # a swap of neighbours is one typo
        ("lesons", "lessons", 1, True),
        ("beginers", "beginners", 1, True),
        ("beginers", "beginner", 2, True),
        ("photograpy", "photography", 2, True),
        ("cat", "dog", 2, False),
        ("guitar", "guitars", 0, False),
        ("baking", "bake", 1, False),
    ],
)
def test_typo_distance_matches_tantivys(a: str, b: str, limit: int, expected: bool) -> None:
    assert within_distance(a, b, limit) is expected


def test_suggestions_ignore_a_single_letter_just_typed_after_other_words() -> None:
    query = build_suggest_query("guitar lesson f", viewer_id=None)
    assert query is not None
    assert [t.text for t in query.terms] == ["guitar", "lesson"]
    alone = build_suggest_query("f", viewer_id=None)
    assert alone is not None
    assert [t.text for t in alone.terms] == ["f"]
