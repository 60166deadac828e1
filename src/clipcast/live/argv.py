"""ffmpeg command lines of live ingest: the segmenter that turns a feed into fragmented MP4 per
rendition, and the SRT listener that turns an encoder's push into a feed (pure).

Untrusted input rules as for uploads (adapters/media/probe.py): the demuxer is pinned to the
one the probe sniffed, and only pipes can be opened, so nothing in a feed can make ffmpeg
read a file or a URL.
"""

from __future__ import annotations

from collections.abc import Sequence

from clipcast.live.plan import AUDIO_BITRATE, IngestMode, IngestPlan
from clipcast.transcoding.ladder import Rung

# A keyframe interval far above a clip: keyframes come from -force_key_frames, on the clip
# grid, never from x264's own choice, so every rung's clips start at the same instants.
_GOP_SECONDS = 10
_FRAGMENTED = "+frag_keyframe+empty_moov+default_base_moof+negative_cts_offsets"


def _global() -> list[str]:
    return ["-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats"]


def segmenter_argv(
    ffmpeg: str,
    container: str,
    plan: IngestPlan,
    *,
    outputs: Sequence[int],
    clip_seconds: int,
    preset: str,
) -> list[str]:
    """Read the feed on stdin; write rung i as fragmented MP4 (a fragment per keyframe) to
    the inherited file descriptor `outputs[i]`."""
    if len(outputs) != len(plan.rungs):
        raise ValueError("one output per rung")
    argv = [ffmpeg, *_global(), *_input(container)]
    labels = _picture_graph(plan)
    if labels:
        argv += ["-filter_complex", labels[0]]
    for i, rung in enumerate(plan.rungs):
        argv += _video(plan, rung, labels[1][i] if labels else "0:v:0", clip_seconds, preset)
        argv += _audio(plan)
        argv += _output(outputs[i])
    return argv


def _input(container: str) -> list[str]:
    # Small probing windows: the feed was probed already, and ffmpeg's default of 5 s of
    # analysis would hold the first clip back by as much.
    return [
        *("-analyzeduration", "1000000", "-probesize", "1000000"),
        *("-f", container, "-protocol_whitelist", "pipe", "-i", "pipe:0"),
    ]


def _picture_graph(plan: IngestPlan) -> tuple[str, list[str]] | None:
    """One decode, scaled once per rung: the graph and each rung's output label."""
    if plan.mode is IngestMode.COPY:
        return None
    count = len(plan.rungs)
    split = f"[0:v:0]split={count}" + "".join(f"[s{i}]" for i in range(count))
    scales = [
        f"[s{i}]scale={r.width}:{r.height},setsar=1,format=yuv420p[v{i}]"
        for i, r in enumerate(plan.rungs)
    ]
    return ";".join([split, *scales]), [f"[v{i}]" for i in range(count)]


def _video(plan: IngestPlan, rung: Rung, label: str, clip_seconds: int, preset: str) -> list[str]:
    if plan.mode is IngestMode.COPY:
        return ["-map", label, "-c:v", "copy"]
    return [
        *("-map", label, "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency"),
        *("-profile:v", "high", "-pix_fmt", "yuv420p"),
        *("-b:v", str(rung.video_bitrate), "-maxrate", str(rung.maxrate)),
        *("-bufsize", str(rung.maxrate)),  # a one-second buffer: live, not VOD
        *("-g", str(_GOP_SECONDS * 60), "-sc_threshold", "0"),
        *("-force_key_frames", f"expr:gte(t,n_forced*{clip_seconds})"),
        # Browsers timestamp frames as they come (MediaRecorder WebM reads as 1000 fps):
        # keep their times rather than invent a constant rate by duplicating frames.
        *("-fps_mode", "passthrough"),
    ]


def _audio(plan: IngestPlan) -> list[str]:
    if not plan.has_audio:
        return ["-an"]
    return [
        *("-map", "0:a:0", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE)),
        *("-ar", "48000", "-ac", "2"),
    ]


def _output(fd: int) -> list[str]:
    return [
        # Camera metadata (places, device names) is nobody's business.
        *("-map_metadata", "-1", "-map_chapters", "-1"),
        *("-f", "mp4", "-movflags", _FRAGMENTED, "-use_editlist", "0"),
        *("-flush_packets", "1", "-max_muxing_queue_size", "1024"),
        f"pipe:{fd}",
    ]


def srt_listener_argv(
    ffmpeg: str, host: str, port: int, passphrase: str, wait_seconds: int
) -> list[str]:
    """Accept one SRT caller on host:port that knows the passphrase (the handshake refuses any
    other: SRT's encryption is the authentication) and pass its MPEG-TS on, untouched, on
    stdout: a feed like any other. Gives up after `wait_seconds` without a caller."""
    url = (
        f"srt://{host}:{port}?mode=listener&passphrase={passphrase}&pbkeylen=16"
        f"&listen_timeout={wait_seconds * 1_000_000}"
    )
    return [
        ffmpeg,
        *_global(),
        *("-f", "mpegts", "-protocol_whitelist", "srt,udp", "-i", url),
        *("-map", "0:v:0", "-map", "0:a:0?", "-c", "copy"),
        *("-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0", "-flush_packets", "1"),
        "pipe:1",
    ]


def describe(argv: Sequence[str], secret: str) -> str:
    """The command for a log line, with the stream key blanked."""
    return " ".join(argv).replace(secret, "…") if secret else " ".join(argv)
