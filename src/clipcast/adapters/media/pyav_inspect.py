"""PyAV inspection of one sniffed file; imported only by the probe child process."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.logging

from clipcast.adapters.media.probe import MediaRejected, ProbeLimits, ProbeResult

_MAX_PACKETS = 5000  # the first frame of every stream we keep is this close to the start
_DAMAGED = "The file is truncated or damaged: {}."


@dataclass(frozen=True)
class Declared:
    """What the headers claim, checked against the caps before anything is decoded."""

    streams: int
    has_video: bool
    has_audio: bool
    width: int
    height: int
    fps: float
    duration: float | None


def check_declared(declared: Declared, limits: ProbeLimits) -> None:
    if declared.streams > limits.max_streams:
        raise MediaRejected(
            f"The file has {declared.streams} streams; the limit is {limits.max_streams}."
        )
    if not (declared.has_video or declared.has_audio):
        raise MediaRejected("The file has neither video nor audio.")
    if declared.has_video:
        check_dimensions(declared.width, declared.height, limits)
        if declared.fps > limits.max_fps:
            raise MediaRejected(
                f"The video runs at {declared.fps:g} frames per second; "
                f"the limit is {limits.max_fps:g}."
            )
    if declared.duration is not None:
        check_duration(declared.duration, limits.max_duration_seconds)


def check_dimensions(width: int, height: int, limits: ProbeLimits) -> None:
    if width <= 0 or height <= 0:
        raise MediaRejected("The video's picture size could not be read.")
    # Portrait is as welcome as landscape: compare long side with long side.
    long_cap, short_cap = sorted((limits.max_width, limits.max_height), reverse=True)
    if max(width, height) > long_cap or min(width, height) > short_cap:
        raise MediaRejected(
            f"The video is {width}×{height}; the limit is {limits.max_width}×{limits.max_height}."
        )
    if width * height > limits.max_pixels:
        raise MediaRejected(
            f"The video has {width * height:,} pixels per picture; "
            f"the limit is {limits.max_pixels:,}."
        )


def check_duration(seconds: float, cap: float) -> None:
    if seconds > cap:
        raise MediaRejected(
            f"The video is {_human_duration(seconds)} long; the limit is {_human_duration(cap)}."
        )


def _human_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def right_angle(degrees: float) -> int:
    """The rotation ffmpeg's autorotate applies: right angles only, within its 2° tolerance."""
    nearest = round(degrees / 90) * 90
    return nearest % 360 if abs(degrees - nearest) <= 2 else 0


def inspect_file(path: Path, container: str, limits: ProbeLimits) -> ProbeResult:
    """Open `path` with the pinned demuxer, check the caps, then decode a first frame."""
    with av.logging.Capture() as logs:
        try:
            return _inspect(path, container, limits)
        except av.FFmpegError as error:
            detail = logs[-1][2].strip().rstrip(".") if logs else error.strerror
            raise MediaRejected(_DAMAGED.format(detail)) from None


def _open(path: Path, container: str) -> Any:
    # Pinned format and file-only protocols: nothing in the file can make ffmpeg open another
    # file or a URL. mov data references ("drefs") would, so they stay off explicitly.
    options = {"protocol_whitelist": "file"}
    if container == "mov":
        options["enable_drefs"] = "0"
    return av.open(
        f"file:{path}",
        format=container,
        container_options=options,
        metadata_errors="replace",
    )


def _inspect(path: Path, container: str, limits: ProbeLimits) -> ProbeResult:
    with _open(path, container) as box:
        video, audio = _pick_streams(box)
        declared = _declared(box, video, audio)
        check_declared(declared, limits)
        duration = declared.duration
        if duration is None:
            duration = _measure_duration(box, limits.max_duration_seconds)
    with _open(path, container) as box:
        video, audio = _pick_streams(box)
        frame, audio_ok = _first_frames(box, video, audio)
        return _result(path, container, duration, video, audio if audio_ok else None, frame, limits)


def _pick_streams(box: Any) -> tuple[Any, Any]:
    """The streams ffmpeg maps with 0:V:0 (cover art is not the video) and 0:a:0."""
    videos = [
        s for s in box.streams.video if not s.disposition & av.stream.Disposition.attached_pic
    ]
    video = videos[0] if videos else None
    if video is not None and video.codec_context is None:
        raise MediaRejected("The video is in a format we cannot decode.")
    audio = box.streams.audio[0] if box.streams.audio else None
    # Sound nobody can decode is dropped rather than failing the whole video.
    return video, (audio if audio is not None and audio.codec_context is not None else None)


def _declared(box: Any, video: Any, audio: Any) -> Declared:
    ctx = video.codec_context if video is not None else None
    return Declared(
        streams=len(box.streams),
        has_video=video is not None,
        has_audio=audio is not None,
        width=ctx.width if ctx is not None else 0,
        height=ctx.height if ctx is not None else 0,
        fps=_fps(video),
        duration=_declared_duration(box),
    )


def _fps(video: Any) -> float:
    if video is None:
        return 0.0
    rate = video.average_rate or video.guessed_rate
    return float(rate) if rate else 0.0


def _declared_duration(box: Any) -> float | None:
    if box.duration is not None and box.duration > 0:
        return float(box.duration) / av.time_base
    ends = [float(s.duration * s.time_base) for s in box.streams if s.duration and s.time_base]
    return max(ends) if ends else None


def _measure_duration(box: Any, cap: float) -> float:
    # Live recordings (MediaRecorder WebM) carry no duration: read packet times, decode nothing,
    # and stop as soon as the cap is passed.
    first: float | None = None
    last = 0.0
    for packet in box.demux():
        if packet.pts is None or packet.time_base is None:
            continue
        start = float(packet.pts * packet.time_base)
        first = start if first is None else min(first, start)
        last = max(last, start + float((packet.duration or 0) * packet.time_base))
        check_duration(last - first, cap)
    if first is None:
        raise MediaRejected(_DAMAGED.format("it holds no timed data"))
    return last - first


def _first_frames(box: Any, video: Any, audio: Any) -> tuple[Any, bool]:
    """Decode the first picture (or first audio for audio-only files) to prove the file is real.

    Returns that video frame (None for audio-only) and whether the audio decodes.
    """
    wanted = [s for s in (video, audio) if s is not None]
    for stream in wanted:
        stream.codec_context.thread_count = 1  # one frame: threads would only add memory
    got: dict[int, Any] = {}
    audio_failed = False
    for count, packet in enumerate(box.demux(*wanted)):
        if count >= _MAX_PACKETS or len(got) == len(wanted):
            break
        if packet.stream.index in got:
            continue
        try:
            frames = packet.decode()
        except av.FFmpegError:
            audio_failed = audio_failed or packet.stream is audio
            continue  # a stream may start with a few undecodable packets
        if frames:
            got[packet.stream.index] = frames[0]
    primary = video if video is not None else audio
    if primary.index not in got:
        what = "picture" if video is not None else "sound"
        raise MediaRejected(_DAMAGED.format(f"no {what} could be decoded"))
    audio_ok = audio is not None and (audio.index in got or not audio_failed)
    return (got[video.index] if video is not None else None), audio_ok


def _result(
    path: Path,
    container: str,
    duration: float,
    video: Any,
    audio: Any,
    frame: Any,
    limits: ProbeLimits,
) -> ProbeResult:
    width, height, rotation = _displayed(video, frame)
    if video is not None:
        check_dimensions(width, height, limits)
    actx = audio.codec_context if audio is not None else None
    return ProbeResult(
        container=container,
        duration=duration,
        has_video=video is not None,
        has_audio=audio is not None,
        width=width,
        height=height,
        rotation=rotation,
        fps=_fps(video),
        video_codec=video.codec_context.name if video is not None else None,
        audio_codec=actx.name if actx is not None else None,
        audio_channels=actx.channels if actx is not None else 0,
        audio_sample_rate=actx.sample_rate if actx is not None else 0,
        size_bytes=path.stat().st_size,
    )


def _displayed(video: Any, frame: Any) -> tuple[int, int, int]:
    """Picture size as a viewer sees it: square pixels, then rotated."""
    if frame is None:
        return 0, 0, 0
    sar = video.sample_aspect_ratio
    width = round(frame.width * sar) if isinstance(sar, Fraction) and sar > 0 else frame.width
    rotation = right_angle(frame.rotation)
    if rotation in (90, 270):
        return frame.height, width, rotation
    return width, frame.height, rotation
