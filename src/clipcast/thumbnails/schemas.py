"""API shapes of thumbnails: URLs a client can load as they are (signed where the video is not
public)."""

from __future__ import annotations

from pydantic import BaseModel


class ImageOut(BaseModel):
    url: str  # JPEG, for every client
    webp_url: str  # the same picture, smaller, for clients that take WebP
    width: int
    height: int


class PosterOut(BaseModel):
    custom: bool  # uploaded by the owner rather than picked from the video
    card: ImageOut  # ≤ 320×180, for grids of videos
    player: ImageOut  # ≤ 1280×720, shown in the player before it starts


class PreviewOut(BaseModel):
    """An animated WebP of a few short moments of the video, for hovering a card."""

    url: str
    width: int
    height: int


class StoryboardOut(BaseModel):
    """A WebVTT thumbnails track; its cues name sprite sheets relative to `vtt_url`."""

    vtt_url: str
    tile_width: int
    tile_height: int
    interval: float


class ThumbnailsOut(BaseModel):
    poster: PosterOut | None = None
    preview: PreviewOut | None = None
    storyboard: StoryboardOut | None = None
