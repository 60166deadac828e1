"""Where a video's media lives on the CDN route (pure)."""

from __future__ import annotations

import uuid

from clipcast.videos.playlist import clip_name, rendition_dir


def media_root(base_url: str, video_id: uuid.UUID, token: str | None) -> str:
    """`…/cdn/videos/{id}/` for public media, `…/cdn/s/{token}/videos/{id}/` otherwise."""
    signed = f"s/{token}/" if token else ""
    return f"{base_url.rstrip('/')}/cdn/{signed}videos/{video_id}/"


def master_url(root: str) -> str:
    return root + "master.m3u8"


def init_url(root: str, resolution: int) -> str:
    return f"{root}{rendition_dir(resolution)}/init.mp4"


def clip_url(root: str, resolution: int, index: int) -> str:
    return f"{root}{rendition_dir(resolution)}/{clip_name(index)}"
