"""Reading a CDN request path: which video, which object, and the token's parts if signed (pure).

`/cdn/videos/{id}/{rest}` is public media; `/cdn/s/{mac}/{expires}/{key_version}/videos/{id}/
{rest}` is media under a playback token (cdn/signing.py). The edge's nginx config matches the
same two shapes (edge/nginx.py). `rest` must be a safe object key below the video's folder,
as storage's check_key demands.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PREFIX = "/cdn/"
VIDEO_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
OBJECT = r"(?!.*\.\.)[a-z0-9][a-z0-9_.-]*(?:/[a-z0-9][a-z0-9_.-]*)*"
_PUBLIC = re.compile(rf"/cdn/videos/({VIDEO_ID})/({OBJECT})")
_SIGNED = re.compile(rf"/cdn/s/([A-Za-z0-9_-]+)/([0-9]+)/([0-9]+)/videos/({VIDEO_ID})/({OBJECT})")
_MAX_KEY = 400


@dataclass(frozen=True, slots=True)
class MediaPath:
    video: str  # the video id as written: lower-case, hyphenated (one spelling per video)
    rest: str  # the object's key below videos/{id}/
    mac: str = ""  # empty: public
    expires: str = ""
    key_version: str = ""

    @property
    def signed(self) -> bool:
        return bool(self.mac)

    @property
    def key(self) -> str:
        return f"videos/{self.video}/{self.rest}"

    @property
    def video_id(self) -> uuid.UUID:
        return uuid.UUID(self.video)


def parse_media_path(path: str) -> MediaPath | None:
    """The parts of a CDN path, or None when it names no video's media."""
    if len(path) > _MAX_KEY + 100:
        return None
    if match := _PUBLIC.fullmatch(path):
        return MediaPath(match[1], match[2])
    if match := _SIGNED.fullmatch(path):
        mac, expires, version, video, rest = match.groups()
        return MediaPath(video, rest, mac, expires, version)
    return None
