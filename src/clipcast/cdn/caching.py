"""Which Cache-Control each kind of media gets, and which types they are (pure)."""

from __future__ import annotations

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
    ".json": "application/json",  # live clip documents
}
# Rewritten under the same key: playlists while a video processes or a stream is live, and
# live clip documents. Everything else never changes under its key.
MUTABLE_SUFFIXES = (".m3u8", ".json")
MUTABLE_SECONDS = 1  # a live player polls every clip (2 s): older than this, it falls behind
YEAR = 31_536_000
PRIVATE_SECONDS = 3600


def content_type_for(key: str) -> str:
    dot = key.rfind(".")
    return (
        CONTENT_TYPES.get(key[dot:], "application/octet-stream")
        if dot >= 0
        else ("application/octet-stream")
    )


def is_mutable(key: str) -> bool:
    return key.endswith(MUTABLE_SUFFIXES)


def cache_control(key: str, *, public: bool) -> str:
    """Clips and images never change under their key; playlists and clip documents may.

    Non-public media is `private`: a shared cache must not hand it to someone without a token.
    """
    scope = "public" if public else "private"
    if is_mutable(key):
        return f"{scope}, max-age={MUTABLE_SECONDS}"
    return (
        f"{scope}, max-age={YEAR}, immutable" if public else f"{scope}, max-age={PRIVATE_SECONDS}"
    )
