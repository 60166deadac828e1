"""Signed, expiring, video-scoped playback tokens that nginx's `secure_link` can check (pure).

A token rides in the URL path, `/cdn/s/{mac}/{expires}/{key_version}/videos/{id}/…`, rather
than the query string, so relative URIs inside playlists inherit it and any HLS player works.
`mac` is nginx's `secure_link_md5` form: the unpadded base64url MD5 of
`{expires}:{video_id}:{key_version}:{link_key}`. `link_key` is derived from the site's secret,
so the edge's config holds a key that opens media and nothing else (not sessions, not cookies).

A token stops working when it expires, or at once when the video's key version moves on
(the CDN route and the edge both compare it with the video's current one).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

_MAX_DIGITS = 12  # an expiry or key version longer than this is junk, not a number to parse
_MAC_LENGTH = 22  # base64url of 16 bytes, unpadded


@dataclass(frozen=True)
class PlaybackToken:
    expires: int  # unix seconds
    key_version: int


@functools.lru_cache(maxsize=8)
def link_key(secret: bytes) -> str:
    """The key the edge hashes with: hex, so it sits in an nginx config without escaping."""
    return hmac.new(secret, b"clipcast edge link key v1", hashlib.sha256).hexdigest()


def _mac(secret: bytes, video_id: uuid.UUID | str, key_version: int, expires: int) -> str:
    message = f"{expires}:{video_id}:{key_version}:{link_key(secret)}".encode()
    digest = hashlib.md5(message, usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_playback(
    secret: bytes, video_id: uuid.UUID, now: datetime, ttl_seconds: int, key_version: int = 0
) -> str:
    """`{mac}/{expires}/{key_version}`: opens this video's media until now + ttl, while its
    key version stands."""
    expires = int(now.timestamp()) + ttl_seconds
    return f"{_mac(secret, video_id, key_version, expires)}/{expires}/{key_version}"


def read_playback(
    secret: bytes, token: str, video_id: uuid.UUID, now: datetime
) -> PlaybackToken | None:
    """The token's fields when it was made for this video and has not expired; else None.
    Whether its key version is still the video's is for the caller to check."""
    parts = token.split("/")
    if len(parts) != 3:
        return None
    return check_parts(secret, parts[0], parts[1], parts[2], video_id, int(now.timestamp()))


def check_parts(
    secret: bytes,
    mac: str,
    expires_text: str,
    version_text: str,
    video_id: uuid.UUID | str,
    now: int,
) -> PlaybackToken | None:
    """`read_playback` on the three path segments as the CDN route finds them (`video_id`
    as a UUID or its lower-case hyphenated text)."""
    if len(mac) != _MAC_LENGTH or not _digits(expires_text) or not _digits(version_text):
        return None
    expires, version = int(expires_text), int(version_text)
    if expires < now:
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
