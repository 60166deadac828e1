"""Anonymous viewer ids: random, kept in a cookie signed with the site's key (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

VIEWER_COOKIE = "clipcast_viewer"
VIEWER_COOKIE_DAYS = 365


def _mac(secret: bytes, viewer_id: uuid.UUID) -> str:
    digest = hmac.new(secret, b"viewer:" + viewer_id.bytes, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_viewer(secret: bytes, viewer_id: uuid.UUID) -> str:
    """The cookie value: the id and its MAC, so nobody can write as another viewer (or user)."""
    return f"{viewer_id.hex}.{_mac(secret, viewer_id)}"


def read_viewer(secret: bytes, cookie: str | None) -> uuid.UUID | None:
    """The viewer id of a cookie we signed; None for anything else."""
    if not cookie or "." not in cookie:
        return None
    raw, mac = cookie.split(".", 1)
    try:
        viewer_id = uuid.UUID(hex=raw)
    except ValueError:
        return None
    return viewer_id if hmac.compare_digest(mac, _mac(secret, viewer_id)) else None
