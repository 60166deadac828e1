"""Signed, expiring, video-scoped playback tokens (pure).

A token rides in the URL path (`/cdn/s/{token}/videos/{id}/…`) rather than the query string, so
relative URIs inside playlists inherit it and any HLS player works unchanged; nginx's
`secure_link` can check the same shape in scaled mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime


def _mac(secret: bytes, video_id: uuid.UUID, expires: int) -> str:
    digest = hmac.new(secret, f"{video_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def sign_playback(secret: bytes, video_id: uuid.UUID, now: datetime, ttl_seconds: int) -> str:
    """A token that opens this video's media until now + ttl."""
    expires = int(now.timestamp()) + ttl_seconds
    return f"{expires}-{_mac(secret, video_id, expires)}"


def verify_playback(secret: bytes, token: str, video_id: uuid.UUID, now: datetime) -> bool:
    """True when the token was made for this video and has not expired."""
    expires_text, sep, mac = token.partition("-")
    if not sep or not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    if expires < now.timestamp():
        return False
    return hmac.compare_digest(mac, _mac(secret, video_id, expires))
