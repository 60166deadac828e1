"""System-made video tags: keywords without stop words, languages, bands, merging."""

from __future__ import annotations

from clipcast.recommendations.tags import (
    MAX_SYSTEM_TAGS,
    TagSource,
    VideoFacts,
    carried_over,
    duration_band,
    guess_language,
    keywords,
    video_tags,
)


def test_keywords_leave_out_stop_words_and_keep_the_subject() -> None:
    found = keywords("Surfing big waves at Nazaré", "The best surfers of the world ride the waves.")
    assert "surfing" in found
    assert not {"the", "at", "of"} & set(found)
    assert found == list(dict.fromkeys(found))  # distinct


def test_a_plural_and_its_singular_are_one_keyword() -> None:
    found = keywords("Wave after wave", "Big waves, small waves, every wave.")
    assert sum(w.rstrip("s") == "wave" for w in found) == 1


def test_the_language_is_guessed_from_stop_words() -> None:
    assert guess_language("La recette de la tarte aux pommes et du pain") == "fr"
    assert guess_language("Wie man einen Kuchen backt und die Zutaten mischt") == "de"
    assert guess_language("How to bake bread with the oven at home") == "en"
    assert guess_language("") == "en"


def test_french_keywords_drop_french_stop_words() -> None:
    found = keywords("La cuisine du boeuf bourguignon", "Une recette avec du vin et des légumes")
    assert "bourguignon" in found
    assert not {"la", "du", "une", "avec", "des"} & set(found)


def test_duration_bands() -> None:
    assert duration_band(None) is None
    assert duration_band(30) == "short"
    assert duration_band(240) == "under 5 min"
    assert duration_band(600) == "5-20 min"
    assert duration_band(3600) == "long"


def test_owner_tags_weigh_most_and_each_tag_keeps_its_best_source() -> None:
    facts = VideoFacts("Surfing lessons", "Learn surfing on small waves", ["surfing"], 95.0)
    tags = video_tags(facts, carried={"ocean": 0.3, "surfing": 0.5})
    by_tag = {t.tag: t for t in tags}
    assert tags[0].tag == "surfing"
    assert by_tag["surfing"].source is TagSource.OWNER
    assert by_tag["surfing"].weight == 1.0
    assert by_tag["ocean"].source is TagSource.CARRIED
    assert by_tag["under 5 min"].source is TagSource.DURATION
    assert [t.weight for t in tags] == sorted((t.weight for t in tags), reverse=True)


def test_at_most_so_many_tags() -> None:
    owner = [f"tag{n}" for n in range(MAX_SYSTEM_TAGS + 5)]
    assert len(video_tags(VideoFacts("t", "", owner, None))) == MAX_SYSTEM_TAGS


def test_carried_tags_are_scaled_by_how_often_videos_are_watched_together() -> None:
    carried = carried_over([({"surfing": 1.0, "ocean": 0.5}, 1.0), ({"surfing": 1.0}, 0.2)])
    assert carried == {"surfing": 0.5, "ocean": 0.25}
