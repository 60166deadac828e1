"""Signed, expiring, video-scoped playback tokens that carry the video's key version (pure).

A token rides in the URL path (`/cdn/s/{token}/videos/{id}/…`) rather than the query string, so
relative URIs inside playlists inherit it and any HLS player works unchanged.

Its shape is `{expires}-{key_version}-{mac}`, the MAC an HMAC-SHA256 of
`{video_id}:{key_version}:{expires}`: plain fields an edge (nginx, issue 13) can take apart with
a regex and check with the secret and a map of current key versions, no call to the service.
A token stops working when it expires, or at once when the video's key version moves on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

_MAX_DIGITS = 12  # an expiry or key version longer than this is junk, not a number to parse


@dataclass(frozen=True)
class PlaybackToken:
    expires: int  # unix seconds
    key_version: int


def _mac(secret: bytes, video_id: uuid.UUID, key_version: int, expires: int) -> str:
    message = f"{video_id}:{key_version}:{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def sign_playback(
    secret: bytes, video_id: uuid.UUID, now: datetime, ttl_seconds: int, key_version: int = 0
) -> str:
    """A token that opens this video's media until now + ttl, while its key version stands."""
    expires = int(now.timestamp()) + ttl_seconds
    return f"{expires}-{key_version}-{_mac(secret, video_id, key_version, expires)}"


def read_playback(
    secret: bytes, token: str, video_id: uuid.UUID, now: datetime
) -> PlaybackToken | None:
    """The token's fields when it was made for this video and has not expired; else None.
    Whether its key version is still the video's is for the caller to check."""
    expires_text, _, rest = token.partition("-")
    version_text, _, mac = rest.partition("-")
    if not mac or not _digits(expires_text) or not _digits(version_text):
        return None
    expires, version = int(expires_text), int(version_text)
    if expires < now.timestamp():
        return None
    if not hmac.compare_digest(mac, _mac(secret, video_id, version, expires)):
        return None
    return PlaybackToken(expires=expires, key_version=version)


def verify_playback(
    secret: bytes, token: str, video_id: uuid.UUID, now: datetime, key_version: int = 0
) -> bool:
    """True when the token was made for this video at its current `key_version` and has not
    expired."""
    read = read_playback(secret, token, video_id, now)
    return read is not None and read.key_version == key_version


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS
