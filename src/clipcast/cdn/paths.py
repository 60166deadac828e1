"""Reading a CDN request path: which video, which object, and the token's parts if signed (pure).

`/cdn/videos/{id}/{rest}` is public media; `/cdn/s/{mac}/{expires}/{key_version}/videos/{id}/
{rest}` is media under a playback token (cdn/signing.py). The edge's nginx config matches the
same two shapes (edge/nginx.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PREFIX = "/cdn/"
_PUBLIC = re.compile(r"/cdn/videos/([0-9a-f-]{36})/(.+)")
_SIGNED = re.compile(r"/cdn/s/([A-Za-z0-9_-]+)/([0-9]+)/([0-9]+)/videos/([0-9a-f-]{36})/(.+)")


@dataclass(frozen=True, slots=True)
class MediaPath:
    video_id: uuid.UUID
    rest: str  # the object's key below videos/{id}/
    mac: str = ""  # empty: public
    expires: str = ""
    key_version: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.mac)

    @property
    def key(self) -> str:
        return f"videos/{self.video_id}/{self.rest}"


def parse_media_path(path: str) -> MediaPath | None:
    """The parts of a CDN path, or None when it names no video's media."""
    if match := _PUBLIC.fullmatch(path):
        video, rest = match[1], match[2]
        mac = expires = version = ""
    elif match := _SIGNED.fullmatch(path):
        mac, expires, version, video, rest = match.groups()
    else:
        return None
    try:
        video_id = uuid.UUID(video)
    except ValueError:
        return None
    if str(video_id) != video:  # one spelling per video, as the edge matches it
        return None
    return MediaPath(video_id, rest, mac, expires, version)
