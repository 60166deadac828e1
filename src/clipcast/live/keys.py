"""Object keys and relative URLs of a live stream's clip documents and init segments (pure).

Clips, init segments and playlists use the VOD layout (videos/keys.py), so when the stream ends
its objects already are the video's. Clip documents live beside them under `live/`.
"""

from __future__ import annotations

import uuid

from clipcast.videos.chain import object_prefix
from clipcast.videos.keys import INIT
from clipcast.videos.playlist import clip_name, rendition_dir

DOCUMENT_DIR = "live"


def document_name(index: int) -> str:
    return f"{index:06d}.json"


def document_key(video_id: uuid.UUID, index: int) -> str:
    return f"{object_prefix(video_id)}{DOCUMENT_DIR}/{document_name(index)}"


def document_path(index: int) -> str:
    """Where a clip document is under the video's media root (what `current` hands out)."""
    return f"{DOCUMENT_DIR}/{document_name(index)}"


def init_name(epoch: int, same_as_first: bool) -> str:
    """A feed's init segment: the first one's name again when its bytes are the same (a
    reconnect with the same settings), so players need not reinitialise."""
    return INIT if epoch == 0 or same_as_first else f"init-{epoch}.mp4"


def init_key(video_id: uuid.UUID, resolution: int, name: str) -> str:
    return f"{object_prefix(video_id)}{rendition_dir(resolution)}/{name}"


def clip_from_document(resolution: int, index: int) -> str:
    """A clip's URL relative to the clip documents (so a signed root carries over)."""
    return f"../{rendition_dir(resolution)}/{clip_name(index)}"


def init_from_document(resolution: int, name: str) -> str:
    return f"../{rendition_dir(resolution)}/{name}"
