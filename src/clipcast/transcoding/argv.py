"""The ffmpeg command line that encodes rungs of the ladder into 2-second fMP4 clips (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from clipcast.transcoding.chunking import Chunk
from clipcast.transcoding.ladder import Rung

PLAYLIST_NAME = "index.m3u8"
INIT_NAME = "init.mp4"
SEGMENT_TEMPLATE = "seg_%06d.m4s"
DEFAULT_CRF = 23
MAX_FPS = 60  # above this the ladder's bitrates buy smoothness nobody's screen shows
_FALLBACK_FPS = 30
_AUDIO_RATE = "48000"
# Decoded before a chunk's start and thrown away: the fps filter picks each output frame from
# the source frames around it, so it needs a few frames of history to pick what an encode in
# one piece picks at the same instant. One second is plenty for any frame rate we accept.
PREROLL_SECONDS = 1


def output_fps(source_fps: float) -> int:
    """The constant rate we encode at: the source's average, rounded, between 1 and 60.

    A whole number makes a 2-second clip a whole number of frames, so every clip starts on a
    keyframe; 29.97 → 30 duplicates one frame in ~33 s, which nobody sees.
    """
    if not math.isfinite(source_fps) or source_fps <= 0:
        return _FALLBACK_FPS
    return min(MAX_FPS, max(1, math.floor(source_fps + 0.5)))


def rung_dir(out_dir: Path, rung: Rung) -> Path:
    return out_dir / rung.name


def build_argv(
    *,
    ffmpeg: str,
    source: Path,
    container: str,
    source_fps: float,
    rungs: Sequence[Rung],
    out_dir: Path,
    preset: str,
    crf: int = DEFAULT_CRF,
    clip_seconds: int = 2,
    chunk: Chunk | None = None,
) -> list[str]:
    """One ffmpeg run: decode once, split the picture to every rung, one HLS fMP4 output each.

    With `chunk`, only that chunk's frames are encoded, into clips named and timed as in the
    whole rendition, so the chunks' clips are simply listed one after another.
    """
    if not rungs:
        raise ValueError("no rungs to encode")
    if chunk is not None and any(not r.has_video for r in rungs):
        raise ValueError("audio is encoded whole, never in chunks")
    fps = output_fps(source_fps)
    video = [r for r in rungs if r.has_video]
    seek = max(chunk.start - PREROLL_SECONDS, 0) if chunk else 0
    argv = [*_global_options(ffmpeg), *_input_options(source, container, seek)]
    if video:
        argv += ["-filter_complex", filter_graph(video, fps, _window(chunk, seek, fps))]
    labels = {r.name: f"[v{i}]" for i, r in enumerate(video)}
    for rung in rungs:
        argv += _video_options(labels.get(rung.name), rung, fps, preset, crf, clip_seconds)
        argv += _audio_options(rung)
        argv += _timestamp_options(rung, chunk)
        argv += _hls_options(rung_dir(out_dir, rung), clip_seconds, chunk)
    return argv


def _window(chunk: Chunk | None, seek: int, fps: int) -> tuple[int, int | None] | None:
    """The chunk's frames as [first, end) on the constant-rate timeline after the seek."""
    if chunk is None:
        return None
    first = (chunk.start - seek) * fps
    return first, None if chunk.end is None else (chunk.end - seek) * fps


def _global_options(ffmpeg: str) -> list[str]:
    # Progress goes to stdout as key=value blocks twice a second, for the watchdog and the
    # progress bar; stderr carries only warnings and errors, so its tail explains a failure.
    return [
        ffmpeg,
        *("-hide_banner", "-nostdin", "-y", "-loglevel", "warning", "-nostats"),
        *("-progress", "pipe:1", "-stats_period", "0.5"),
    ]


def _input_options(source: Path, container: str, seek: int) -> list[str]:
    # The demuxer is pinned to the one the probe sniffed and only local files can be opened,
    # so nothing inside an upload can point ffmpeg at another file or a URL.
    # A seek before the input jumps to the keyframe before `seek` through the container's
    # index; ffmpeg then decodes from there and drops what comes before `seek`.
    return [
        *(("-ss", str(seek)) if seek else ()),
        *("-f", container, "-protocol_whitelist", "file,pipe"),
        *("-threads", "0"),
        *("-i", f"file:{source}"),
    ]


def filter_graph(
    rungs: Sequence[Rung], fps: int, window: tuple[int, int | None] | None = None
) -> str:
    """Constant frame rate once, then a cascade of scales, largest rung first: `[v<i>]` is the
    picture for `rungs[i]`.

    `window` keeps frames [first, end) of the constant-rate timeline, counted in frames, so a
    chunk's cut is exact: no float rounding decides which frame is the first or the last, and
    each frame lands in exactly one chunk. The pre-roll before `first` is dropped before any
    scaling is paid for.

    Each rung is scaled from the next larger one rather than from the source, which halves the
    scaling work of a full ladder (measured: 4.6 against 8.9 CPU-s per minute of 1080p30) for a
    difference nobody sees (SSIM of 240p against a lanczos reference: 0.9989 against 0.9992).
    `0:V:0` skips cover art; ffmpeg has already applied any rotation before this graph, so the
    sizes are the displayed ones, and setsar=1 makes non-square source pixels square.
    """
    order = sorted(range(len(rungs)), key=lambda i: rungs[i].width * rungs[i].height)[::-1]
    parts = []
    head = f"[0:V:0]fps={fps},"
    if window is not None:
        first, end = window
        bounds = f"start_pts={first}" + ("" if end is None else f":end_pts={end}")
        head += f"trim={bounds},setpts=PTS-STARTPTS,"
    for step, index in enumerate(order):
        rung = rungs[index]
        scaled = f"{head}scale={rung.width}:{rung.height},setsar=1,format=yuv420p"
        if step == len(order) - 1:
            parts.append(f"{scaled}[v{index}]")
        else:
            parts.append(f"{scaled},split=2[v{index}][c{step}]")
            head = f"[c{step}]"
    return ";".join(parts)


def _video_options(
    label: str | None, rung: Rung, fps: int, preset: str, crf: int, clip: int
) -> list[str]:
    if label is None:
        return []
    gop = str(fps * clip)
    return [
        *("-map", label, "-c:v", "libx264", "-preset", preset),
        *("-profile:v", "high", "-pix_fmt", "yuv420p"),
        # Capped CRF: constant quality, but never above what the rung's viewers can fetch.
        *("-crf", str(crf), "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize)),
        # A closed GOP of exactly one clip, and a keyframe at every clip start, whatever the
        # scene does: each clip decodes on its own and the clips of all rungs line up.
        *("-g", gop, "-keyint_min", gop, "-sc_threshold", "0"),
        *("-force_key_frames", f"expr:gte(t,n_forced*{clip})"),
        *("-fps_mode", "cfr", "-r", str(fps)),
    ]


def _audio_options(rung: Rung) -> list[str]:
    if rung.audio_bitrate <= 0:
        return []
    return [
        *("-map", "0:a:0", "-c:a", "aac", "-b:a", str(rung.audio_bitrate)),
        *("-ar", _AUDIO_RATE, "-ac", "2"),
    ]


def _timestamp_options(rung: Rung, chunk: Chunk | None) -> list[str]:
    """Picture timestamps that do not depend on where the encode started (CMAF's way).

    B-frames make the first decode time negative. By default ffmpeg shifts the whole output
    to make it zero (and hides the shift in an edit list), which only the first chunk needs,
    so chunks would disagree by two frames. Instead, negative composition offsets (`trun`
    version 1) keep every frame's decode time at or below its presentation time with no
    shift: each fragment starts at its first frame's presentation time (`frag_discont`),
    there is no edit list, and every chunk's init segment is the same bytes. Clip N then
    starts at exactly N × clip length, which `-output_ts_offset` makes true of later chunks.
    (ffmpeg's own mp4 reader shows such a track two frames late; MSE players do not.)
    """
    if not rung.has_video:
        return []
    movflags = "movflags=+frag_discont+negative_cts_offsets:use_editlist=0"
    options = ["-avoid_negative_ts", "disabled", "-hls_segment_options", movflags]
    if chunk is not None and chunk.start:
        options += ["-output_ts_offset", str(chunk.start)]
    return options


def _hls_options(directory: Path, clip_seconds: int, chunk: Chunk | None) -> list[str]:
    return [
        # Uploads carry camera metadata (GPS position, device names): none of it is published.
        *("-map_metadata", "-1", "-map_chapters", "-1"),
        *("-max_muxing_queue_size", "4096"),
        # An EVENT playlist is rewritten after every clip ffmpeg closes (a VOD one only at the
        # end), so clips can be published while the rest are still being encoded.
        *("-f", "hls", "-hls_time", str(clip_seconds), "-hls_playlist_type", "event"),
        *("-hls_flags", "independent_segments", "-hls_segment_type", "fmp4"),
        *("-hls_fmp4_init_filename", INIT_NAME),
        # A chunk's clips carry their index in the whole rendition.
        *(("-start_number", str(chunk.first_clip)) if chunk else ()),
        *("-hls_segment_filename", str(directory / SEGMENT_TEMPLATE)),
        str(directory / PLAYLIST_NAME),
    ]
