"""The stored mapping: what a run keeps, what it deletes, and how it becomes URLs."""

from __future__ import annotations

import uuid

from clipcast.thumbnails.mapping import (
    PosterSource,
    StoredPoster,
    StoredPreview,
    StoredSize,
    ThumbnailMap,
    load,
    merge_generated,
    object_keys,
    stale_units,
    unit_ids,
    with_poster,
)
from clipcast.thumbnails.urls import thumbnail_urls

VIDEO = uuid.UUID("8f7a4f58-7f55-4a44-9a53-1c7ef7c6f0aa")


def _poster(source: PosterSource, video: uuid.UUID = VIDEO) -> StoredPoster:
    unit = uuid.uuid4()
    base = f"videos/{video}/thumbs/{unit}/"
    sizes = {
        name: StoredSize(width=w, height=h, jpeg=f"{base}{name}.jpg", webp=f"{base}{name}.webp")
        for name, w, h in (("card", 320, 180), ("player", 1280, 720))
    }
    return StoredPoster(id=unit, source=source, card=sizes["card"], player=sizes["player"])


def _preview() -> StoredPreview:
    unit = uuid.uuid4()
    key = f"videos/{VIDEO}/thumbs/{unit}/preview.webp"
    return StoredPreview(id=unit, key=key, width=320, height=180, frames=40, fps=10)


def test_an_empty_or_garbled_row_reads_as_no_thumbnails() -> None:
    assert load({}) == ThumbnailMap()
    assert load(None) == ThumbnailMap()
    assert load({"poster": "videos/x.jpg"}) == ThumbnailMap()


def test_the_mapping_round_trips_through_json() -> None:
    mapping = ThumbnailMap(poster=_poster(PosterSource.AUTO), preview=_preview())
    assert load(mapping.to_json()) == mapping


def test_a_run_replaces_an_automatic_poster() -> None:
    current = ThumbnailMap(poster=_poster(PosterSource.AUTO))
    generated = ThumbnailMap(poster=_poster(PosterSource.AUTO), preview=_preview())
    merged = merge_generated(current, generated)
    assert merged == generated
    assert stale_units(unit_ids(generated), current, merged) == {current.poster.id}  # type: ignore[union-attr]


def test_a_run_keeps_an_uploaded_poster_and_drops_its_own() -> None:
    current = ThumbnailMap(poster=_poster(PosterSource.CUSTOM))
    generated = ThumbnailMap(poster=_poster(PosterSource.AUTO), preview=_preview())
    merged = merge_generated(current, generated)
    assert merged.poster == current.poster and merged.preview == generated.preview
    assert stale_units(unit_ids(generated), current, merged) == {generated.poster.id}  # type: ignore[union-attr]


def test_rerunning_with_the_same_units_deletes_nothing() -> None:
    mapping = ThumbnailMap(poster=_poster(PosterSource.AUTO), preview=_preview())
    assert stale_units(unit_ids(mapping), mapping, merge_generated(mapping, mapping)) == set()


def test_an_upload_replaces_any_poster() -> None:
    current = ThumbnailMap(poster=_poster(PosterSource.CUSTOM), preview=_preview())
    upload = _poster(PosterSource.CUSTOM)
    after = with_poster(current, upload)
    assert after.preview == current.preview
    assert stale_units({upload.id}, current, after) == {current.poster.id}  # type: ignore[union-attr]
    assert len(object_keys(after)) == 5


def test_urls_sit_under_the_media_root_given() -> None:
    mapping = ThumbnailMap(poster=_poster(PosterSource.CUSTOM), preview=_preview())
    root = f"https://x.test/cdn/s/TOKEN/videos/{VIDEO}/"
    out = thumbnail_urls(mapping.to_json(), root, VIDEO)
    assert out.poster is not None and out.poster.custom
    assert out.poster.card.url.startswith(root) and out.poster.card.url.endswith("/card.jpg")
    assert out.poster.player.webp_url.endswith("/player.webp")
    assert out.preview is not None and out.preview.url.startswith(root)
    assert out.storyboard is None


def test_a_key_outside_the_video_is_never_served() -> None:
    other = uuid.UUID("8f7a4f58-7f55-4a44-9a53-1c7ef7c6f0ab")
    mapping = ThumbnailMap(poster=_poster(PosterSource.AUTO, video=other))
    out = thumbnail_urls(mapping.to_json(), f"https://x.test/cdn/videos/{VIDEO}/", VIDEO)
    assert out.poster is None
