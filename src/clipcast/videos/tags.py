"""What a tag is (pure): lower-case words from the owner, `#` optional, a few per video."""

from __future__ import annotations

import re
from collections.abc import Iterable

from clipcast.core.errors import InvalidInput

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
_TAG = re.compile(r"^[\w][\w -]*$")


def normalise_tags(raw: Iterable[str]) -> list[str]:
    """Distinct tags in the order given: trimmed, lower-cased, without a leading `#`."""
    tags: list[str] = []
    for item in raw:
        tag = " ".join(item.strip().lstrip("#").lower().split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH or not _TAG.match(tag):
            raise InvalidInput(
                f"A tag is 1–{MAX_TAG_LENGTH} letters, digits, spaces, '-' or '_'.", code="bad_tag"
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"A video has at most {MAX_TAGS} tags.", code="too_many_tags")
    return tags


def split_tags(text: str) -> list[str]:
    """Tags as an upload's metadata carries them: comma-separated."""
    return normalise_tags(text.split(","))
