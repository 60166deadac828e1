"""The clip document: what a viewer reads from the CDN for clip N, with the pointer to clip N+1
(pure; JSON out).

Every URL in it is relative to the document, so a signed media root (`/cdn/s/{token}/…`) that
opened one document opens the next, and one document serves every viewer. A document is
written once, after every object it names, and never changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clipcast.live.keys import clip_from_document, document_name, init_from_document

VERSION = 1


@dataclass(frozen=True, slots=True)
class LiveRung:
    """One rendition of the stream as the documents and playlists describe it."""

    resolution: int
    width: int
    height: int
    bandwidth: int  # bits/s, peak so far (an estimate while live)
    codecs: str  # e.g. "avc1.64001f,mp4a.40.2": picture and sound in one fMP4


@dataclass(frozen=True, slots=True)
class LiveClip:
    index: int
    media_time: float  # seconds from the start of the recording (gaps left out)
    duration: float
    program_date_time: datetime  # wall time of its first frame
    discontinuity: bool  # first clip after the feed was interrupted (new timestamps)
    discontinuity_sequence: int  # how many interruptions came before, this one included
    init: str  # name of its init segment in each rendition's directory
    sizes: tuple[tuple[int, int], ...]  # (resolution, bytes)


def iso(moment: datetime) -> str:
    """UTC with milliseconds and a Z, as HLS's PROGRAM-DATE-TIME and JavaScript's Date read it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def expected_next(published_at: datetime, duration: float, clip_seconds: float) -> datetime:
    """When clip N+1's document should appear: as long after clip N's as clip N lasted (a
    feed's keyframes come at a steady pace: 2 s, or a browser's 2.04 s), within reason."""
    seconds = min(max(duration, clip_seconds / 2), clip_seconds * 2)
    return published_at + timedelta(seconds=seconds)


def clip_document(
    *,
    video_id: uuid.UUID,
    clip: LiveClip,
    rungs: Sequence[LiveRung],
    published_at: datetime,
    clip_seconds: float,
    chat: Sequence[dict[str, Any]] = (),
    viewers: int | None = None,
) -> dict[str, Any]:
    sizes = dict(clip.sizes)
    return {
        "version": VERSION,
        "stream": str(video_id),
        "index": clip.index,
        "ended": False,
        "media_time": round(clip.media_time, 6),
        "duration": round(clip.duration, 6),
        "program_date_time": iso(clip.program_date_time),
        "published_at": iso(published_at),
        "discontinuity": clip.discontinuity,
        "discontinuity_sequence": clip.discontinuity_sequence,
        "renditions": [_rendition(r, clip, sizes.get(r.resolution, 0)) for r in rungs],
        "next": {
            "index": clip.index + 1,
            "url": document_name(clip.index + 1),
            "expected_at": iso(expected_next(published_at, clip.duration, clip_seconds)),
        },
        "chat": list(chat),
        "viewers": viewers,
    }


def _rendition(rung: LiveRung, clip: LiveClip, size: int) -> dict[str, Any]:
    return {
        "resolution": rung.resolution,
        "width": rung.width,
        "height": rung.height,
        "bandwidth": rung.bandwidth,
        "codecs": rung.codecs,
        "init": init_from_document(rung.resolution, clip.init),
        "clip": clip_from_document(rung.resolution, clip.index),
        "bytes": size,
    }


def end_document(
    *, video_id: uuid.UUID, index: int, ended_at: datetime, chat: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """What stands at the URL the last clip pointed to: the stream is over, the recording is
    at `vod` (its master playlist)."""
    return {
        "version": VERSION,
        "stream": str(video_id),
        "index": index,
        "ended": True,
        "ended_at": iso(ended_at),
        "vod": "../master.m3u8",
        "renditions": [],
        "next": None,
        "chat": list(chat),
    }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
