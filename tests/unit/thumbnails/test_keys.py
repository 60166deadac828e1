"""Object keys of thumbnails: server ids only, valid storage keys, stable for generated units."""

from __future__ import annotations

import uuid

from clipcast.adapters.storage.base import check_key
from clipcast.thumbnails.keys import (
    ImageType,
    PosterSize,
    Unit,
    generated_id,
    poster_key,
    preview_key,
    sheet_key,
    sheet_name,
    unit_prefix,
    vtt_key,
)

VIDEO = uuid.UUID("8f7a4f58-7f55-4a44-9a53-1c7ef7c6f0aa")
UNIT = uuid.UUID("00000000-0000-4000-8000-000000000001")


def test_keys_live_in_the_units_folder_and_pass_the_storage_guard() -> None:
    keys = [
        poster_key(VIDEO, UNIT, PosterSize.CARD, ImageType.JPEG),
        poster_key(VIDEO, UNIT, PosterSize.PLAYER, ImageType.WEBP),
        preview_key(VIDEO, UNIT),
        vtt_key(VIDEO, UNIT),
        sheet_key(VIDEO, UNIT, 3),
    ]
    assert keys == [
        f"videos/{VIDEO}/thumbs/{UNIT}/card.jpg",
        f"videos/{VIDEO}/thumbs/{UNIT}/player.webp",
        f"videos/{VIDEO}/thumbs/{UNIT}/preview.webp",
        f"videos/{VIDEO}/thumbs/{UNIT}/storyboard.vtt",
        f"videos/{VIDEO}/thumbs/{UNIT}/sheet-3.jpg",
    ]
    for key in keys:
        assert check_key(key) == key
        assert key.startswith(unit_prefix(VIDEO, UNIT))


def test_sheets_are_named_relative_to_the_vtt_beside_them() -> None:
    assert vtt_key(VIDEO, UNIT).rsplit("/", 1)[0] + "/" + sheet_name(3) == sheet_key(VIDEO, UNIT, 3)


def test_generated_ids_are_stable_and_change_with_their_inputs() -> None:
    first = generated_id(VIDEO, Unit.POSTER, "720@2026-01-01T00:00:00+00:00")
    assert first == generated_id(VIDEO, Unit.POSTER, "720@2026-01-01T00:00:00+00:00")
    assert first != generated_id(VIDEO, Unit.POSTER, "720@2026-01-02T00:00:00+00:00")
    assert first != generated_id(VIDEO, Unit.PREVIEW, "720@2026-01-01T00:00:00+00:00")
    other = uuid.UUID("8f7a4f58-7f55-4a44-9a53-1c7ef7c6f0ab")
    assert first != generated_id(other, Unit.POSTER, "720@2026-01-01T00:00:00+00:00")
