"""Turning the stored thumbnail mapping into URLs under a video's CDN root (pure)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from clipcast.thumbnails.mapping import PosterSource, StoredSize, ThumbnailMap, load
from clipcast.thumbnails.schemas import (
    ImageOut,
    PosterOut,
    PreviewOut,
    StoryboardOut,
    ThumbnailsOut,
)

log = logging.getLogger(__name__)

Url = Callable[[str], str]


class ForeignKey(ValueError):
    """A key outside the video's own objects: never turned into a URL."""


def thumbnail_urls(raw: dict[str, Any] | None, root: str, video_id: uuid.UUID) -> ThumbnailsOut:
    """URLs of the mapping's objects under `root`, the video's media root (public or signed,
    ending in `videos/{id}/`), so they carry the same token as the video's playback URLs."""
    prefix = f"videos/{video_id}/"

    def url(key: str) -> str:
        if not key.startswith(prefix):
            raise ForeignKey(key)
        return root + key.removeprefix(prefix)

    try:
        return _urls(load(raw), url)
    except ForeignKey as exc:
        # Only the thumbnailer writes keys, all under the prefix: a slip is logged, not served.
        log.warning("thumbnail key %s is not under %s", exc, prefix)
        return ThumbnailsOut()


def _urls(mapping: ThumbnailMap, url: Url) -> ThumbnailsOut:
    out = ThumbnailsOut()
    if (poster := mapping.poster) is not None:
        out.poster = PosterOut(
            custom=poster.source is PosterSource.CUSTOM,
            card=_image(poster.card, url),
            player=_image(poster.player, url),
        )
    if (preview := mapping.preview) is not None:
        out.preview = PreviewOut(url=url(preview.key), width=preview.width, height=preview.height)
    if (board := mapping.storyboard) is not None:
        out.storyboard = StoryboardOut(
            vtt_url=url(board.vtt),
            tile_width=board.tile_width,
            tile_height=board.tile_height,
            interval=board.interval,
        )
    return out


def _image(size: StoredSize, url: Url) -> ImageOut:
    return ImageOut(
        url=url(size.jpeg), webp_url=url(size.webp), width=size.width, height=size.height
    )
