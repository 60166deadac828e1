"""Tags: normalised, distinct, bounded."""

from __future__ import annotations

import pytest

from clipcast.core.errors import InvalidInput
from clipcast.videos.tags import MAX_TAGS, normalise_tags, split_tags


def test_tags_are_trimmed_lowercased_distinct_and_lose_their_hash() -> None:
    assert normalise_tags(["#Guitar", " guitar ", "Live  Music", ""]) == ["guitar", "live music"]


def test_metadata_tags_are_comma_separated() -> None:
    assert split_tags("cats, #Dogs,,birds") == ["cats", "dogs", "birds"]
    assert split_tags("") == []


@pytest.mark.parametrize("bad", ["<script>", "a" * 41, "semi;colon"])
def test_odd_tags_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_tags([bad])


def test_too_many_tags_are_refused() -> None:
    with pytest.raises(InvalidInput):
        normalise_tags([f"t{i}" for i in range(MAX_TAGS + 1)])
