"""Object keys of a video's renditions, made from server ids only (pure); VOD and live alike."""

from __future__ import annotations

import uuid

from clipcast.videos.chain import object_prefix
from clipcast.videos.playlist import clip_name, rendition_dir

INIT = "init.mp4"
PLAYLIST = "index.m3u8"
MASTER = "master.m3u8"


def rendition_prefix(video_id: uuid.UUID, resolution: int) -> str:
    return f"{object_prefix(video_id)}{rendition_dir(resolution)}/"


def clip_key(video_id: uuid.UUID, resolution: int, index: int) -> str:
    return rendition_prefix(video_id, resolution) + clip_name(index)


def init_key(video_id: uuid.UUID, resolution: int) -> str:
    return rendition_prefix(video_id, resolution) + INIT


def playlist_key(video_id: uuid.UUID, resolution: int) -> str:
    return rendition_prefix(video_id, resolution) + PLAYLIST


def master_key(video_id: uuid.UUID) -> str:
    return object_prefix(video_id) + MASTER
