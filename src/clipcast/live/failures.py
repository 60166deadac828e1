"""Why a feed stops: a stable code and a reason the streamer is told."""

from __future__ import annotations


class FeedFailed(Exception):
    """The feed stops, with a code and a reason the streamer is told."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
