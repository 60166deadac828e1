"""Which Cache-Control each kind of media gets, and which types they are (pure)."""

from __future__ import annotations

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
}

YEAR = 31_536_000


def content_type_for(key: str) -> str:
    dot = key.rfind(".")
    return (
        CONTENT_TYPES.get(key[dot:], "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )


def cache_control(key: str, *, public: bool) -> str:
    """Clips and images never change under their key; playlists may while a video processes.

    Non-public media is `private`: a shared cache must not hand it to someone without a token.
    """
    scope = "public" if public else "private"
    if key.endswith(".m3u8"):
        return f"{scope}, max-age=2"
    return f"{scope}, max-age={YEAR}, immutable" if public else f"{scope}, max-age=3600"
