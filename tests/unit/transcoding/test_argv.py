"""The ffmpeg argv: one decode, one HLS fMP4 output per rung, exact 2-second GOPs, hardening."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipcast.transcoding.argv import build_argv, filter_graph, output_fps
from clipcast.transcoding.ladder import build_ladder

OUT = Path("/work/out")
SRC = Path("/work/source")


def _argv(
    rungs_for: tuple[int, int, bool, bool], ladder: list[int], fps: float = 30.0
) -> list[str]:
    width, height, has_video, has_audio = rungs_for
    return build_argv(
        ffmpeg="ffmpeg",
        source=SRC,
        container="matroska",
        source_fps=fps,
        rungs=build_ladder(width, height, has_video, has_audio, ladder),
        out_dir=OUT,
        preset="veryfast",
    )


def _values(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == option]


def test_input_is_pinned_and_local_only() -> None:
    argv = _argv((640, 360, True, True), [360])
    i = argv.index("-i")
    assert argv[i + 1] == "file:/work/source"
    before_input = argv[:i]
    assert before_input[before_input.index("-f") + 1] == "matroska"
    assert before_input[before_input.index("-protocol_whitelist") + 1] == "file,pipe"
    for flag in ("-nostdin", "-hide_banner", "-y", "-nostats"):
        assert flag in argv
    assert _values(argv, "-progress") == ["pipe:1"]


def test_one_process_decodes_once_and_scales_each_rung_from_the_next_larger() -> None:
    argv = _argv((1920, 1080, True, True), [240, 480, 1080])
    assert _values(argv, "-i") == ["file:/work/source"]
    (graph,) = _values(argv, "-filter_complex")
    assert graph.split(";") == [
        "[0:V:0]fps=30,scale=1920:1080,setsar=1,format=yuv420p,split=2[v2][c0]",
        "[c0]scale=854:480,setsar=1,format=yuv420p,split=2[v1][c1]",
        "[c1]scale=426:240,setsar=1,format=yuv420p[v0]",
    ]
    assert _values(argv, "-map") == ["[v0]", "0:a:0", "[v1]", "0:a:0", "[v2]", "0:a:0"]


def test_each_rung_is_an_hls_fmp4_output_in_its_own_directory() -> None:
    argv = _argv((1280, 720, True, True), [360, 720])
    assert _values(argv, "-f")[1:] == ["hls", "hls"]
    assert _values(argv, "-hls_segment_type") == ["fmp4", "fmp4"]
    assert _values(argv, "-hls_time") == ["2", "2"]
    assert _values(argv, "-hls_playlist_type") == ["vod", "vod"]
    assert _values(argv, "-hls_flags") == ["independent_segments"] * 2
    assert _values(argv, "-hls_segment_filename") == [
        "/work/out/360p/seg_%06d.m4s",
        "/work/out/720p/seg_%06d.m4s",
    ]
    assert "/work/out/360p/index.m3u8" in argv
    assert argv[-1] == "/work/out/720p/index.m3u8"


def test_every_clip_starts_with_a_keyframe_of_a_closed_two_second_gop() -> None:
    argv = _argv((640, 360, True, True), [360], fps=25)
    assert _values(argv, "-g") == ["50"]
    assert _values(argv, "-keyint_min") == ["50"]
    assert _values(argv, "-sc_threshold") == ["0"]
    assert _values(argv, "-force_key_frames") == ["expr:gte(t,n_forced*2)"]
    assert _values(argv, "-fps_mode") == ["cfr"]
    assert _values(argv, "-r") == ["25"]


def test_h264_high_with_capped_crf_and_stereo_48k_aac() -> None:
    argv = _argv((640, 360, True, True), [360])
    assert _values(argv, "-c:v") == ["libx264"]
    assert _values(argv, "-profile:v") == ["high"]
    assert _values(argv, "-pix_fmt") == ["yuv420p"]
    assert _values(argv, "-preset") == ["veryfast"]
    assert _values(argv, "-crf") == ["23"]
    assert int(_values(argv, "-maxrate")[0]) > 0
    assert _values(argv, "-c:a") == ["aac"]
    assert _values(argv, "-ar") == ["48000"]
    assert _values(argv, "-ac") == ["2"]


def test_source_metadata_is_not_published() -> None:
    argv = _argv((640, 360, True, True), [360])
    assert _values(argv, "-map_metadata") == ["-1"]


def test_audio_only_source_encodes_aac_alone() -> None:
    argv = _argv((0, 0, False, True), [360])
    assert "-filter_complex" not in argv
    assert "-c:v" not in argv
    assert _values(argv, "-map") == ["0:a:0"]
    assert argv[-1] == "/work/out/audio/index.m3u8"


def test_silent_source_maps_no_audio() -> None:
    argv = _argv((640, 360, True, False), [360])
    assert _values(argv, "-map") == ["[v0]"]
    assert "-c:a" not in argv


def test_single_rung_needs_no_split() -> None:
    assert filter_graph(build_ladder(321, 241, True, False, [240]), 30) == (
        "[0:V:0]fps=30,scale=320:240,setsar=1,format=yuv420p[v0]"
    )


@pytest.mark.parametrize(
    ("source", "encoded"),
    [(29.97, 30), (23.976, 24), (59.94, 60), (120.0, 60), (12.5, 13), (0.4, 1), (0.0, 30)],
)
def test_frame_rate_is_a_whole_number_up_to_60(source: float, encoded: int) -> None:
    assert output_fps(source) == encoded


def test_no_rungs_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="no rungs"):
        build_argv(
            ffmpeg="ffmpeg",
            source=SRC,
            container="mov",
            source_fps=30,
            rungs=[],
            out_dir=OUT,
            preset="veryfast",
        )
