"""Telling what a file's first bytes look like, for refusal messages (pure)."""

from __future__ import annotations


def looks_like_text(head: bytes) -> bool:
    """True when the bytes read as printable UTF-8 (someone renamed a text file, say)."""
    # The sample may end inside a multi-byte character: drop up to 3 bytes before giving up.
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\t\n\r\f" for ch in text)
    return False
