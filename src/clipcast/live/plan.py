"""What a live feed becomes: its picture copied when it already is H.264, else a small ladder
encoded live; the sound always AAC (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clipcast.transcoding.ladder import Rung, build_ladder, video_bitrate

COPYABLE = frozenset({"h264"})  # what every MSE and HLS player decodes, as the feed sends it
AUDIO_BITRATE = 96_000


class IngestMode(StrEnum):
    COPY = "copy"  # picture passed through: no encode, no added latency, one rendition
    TRANSCODE = "transcode"  # picture encoded to H.264 with a keyframe every clip, per rung


@dataclass(frozen=True, slots=True)
class FeedFacts:
    """What probing the head of a feed found (clipcast.adapters.media.probe)."""

    container: str
    video_codec: str | None
    width: int
    height: int
    fps: float
    has_audio: bool


@dataclass(frozen=True, slots=True)
class IngestPlan:
    mode: IngestMode
    rungs: tuple[Rung, ...]  # lowest first; COPY has one, the feed's own size
    has_audio: bool


class FeedRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def plan_ingest(facts: FeedFacts, *, ladder: list[int], max_resolution: int) -> IngestPlan:
    """Copy an H.264 picture no larger than `max_resolution` (its short side); otherwise encode
    the `ladder` sizes the picture reaches, capped at `max_resolution`."""
    if facts.video_codec is None or facts.width <= 0 or facts.height <= 0:
        raise FeedRefused("The feed has no picture; a live stream needs video.")
    short = min(facts.width, facts.height)
    if facts.video_codec in COPYABLE and short <= max_resolution:
        (rung,) = build_ladder(facts.width, facts.height, True, False, [short], fps=facts.fps).video
        return IngestPlan(IngestMode.COPY, (rung,), facts.has_audio)
    sizes = [r for r in ladder if r <= max_resolution] or [max_resolution]
    rungs = build_ladder(facts.width, facts.height, True, False, sizes, fps=facts.fps).video
    return IngestPlan(IngestMode.TRANSCODE, rungs, facts.has_audio)


def plan_following(
    facts: FeedFacts, first: IngestPlan, kept: list[tuple[int, int, int]]
) -> IngestPlan:
    """A later feed of a stream keeps the renditions (resolution, width, height) its first
    feed set: copied if its own picture is exactly that, else encoded to those sizes."""
    if not kept or [(r.resolution, r.width, r.height) for r in first.rungs] == kept:
        return first
    rungs = tuple(
        Rung(
            name=f"{res}p",
            resolution=res,
            width=w,
            height=h,
            video_bitrate=(rate := video_bitrate(w, h, facts.fps)),
            maxrate=rate * 3 // 2,
            bufsize=rate * 2,
            audio_bitrate=0,
        )
        for res, w, h in kept
    )
    return IngestPlan(IngestMode.TRANSCODE, rungs, facts.has_audio)
