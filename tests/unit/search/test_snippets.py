"""Highlighted snippets: matching words in <mark>, everything else escaped (pure)."""

from __future__ import annotations

import re

from clipcast.search.query import parse_terms
from clipcast.search.snippets import Highlighter, fragment, highlight


def test_matching_words_are_marked_with_stems_typos_and_prefixes() -> None:
    terms = parse_terms("gutiar lesson beg")
    assert highlight("Guitar Lessons for Beginners", terms) == (
        "<mark>Guitar</mark> <mark>Lessons</mark> for <mark>Beginners</mark>"
    )


def test_accents_and_case_do_not_prevent_a_match() -> None:
    assert highlight("Crème brûlée at home", parse_terms("creme")) == (
        "<mark>Crème</mark> brûlée at home"
    )


def test_user_html_is_escaped_and_only_mark_is_markup() -> None:
    title = '<script>alert("x")</script> guitar <img src=x onerror=alert(1)> & co'
    out = highlight(title, parse_terms("guitar script"))
    assert "<script>" not in out
    assert "<img" not in out
    tags = set(re.findall(r"</?([a-z]+)", out))
    assert tags == {"mark"}
    assert "&lt;<mark>script</mark>&gt;" in out
    assert "&amp; co" in out


def test_short_description_is_kept_whole() -> None:
    assert fragment("Learn chords.\n\nEasy.", parse_terms("chords")) == (
        "Learn <mark>chords</mark>. Easy."
    )


def test_long_description_is_cut_around_the_first_match_at_word_boundaries() -> None:
    text = " ".join(["filler"] * 60) + " the secret chord " + " ".join(["more"] * 60)
    out = fragment(text, parse_terms("chord"), size=80)
    assert out.startswith("…")
    assert out.endswith("…")
    assert "<mark>chord</mark>" in out
    plain = out.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert all(word in {"filler", "the", "secret", "chord", "more"} for word in plain.split())


def test_long_description_without_match_shows_its_start() -> None:
    text = "Intro " + "words " * 100
    out = fragment(text, parse_terms("zzz"), size=40)
    assert out.startswith("Intro")
    assert out.endswith("…")
    assert "<mark>" not in out


def test_descriptions_mark_only_near_misses_already_met_in_titles() -> None:
    marks = Highlighter(parse_terms("gutiar"))
    assert marks.highlight("Guitar basics") == "<mark>Guitar</mark> basics"
    assert marks.fragment("A guitar, a guitr and a gutiar.") == (
        "A <mark>guitar</mark>, a guitr and a <mark>gutiar</mark>."
    )
