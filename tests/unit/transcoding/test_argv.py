"""The ffmpeg argv: one decode, one HLS fMP4 output per rung, exact 2-second GOPs, hardening."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipcast.transcoding.argv import build_argv, filter_graph, output_fps
from clipcast.transcoding.chunking import Chunk
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
        rungs=build_ladder(width, height, has_video, has_audio, ladder).all,
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
    # Pictures are video only; the sound is encoded once, as its own output.
    assert _values(argv, "-map") == ["[v0]", "[v1]", "[v2]", "0:a:0"]


def test_each_rung_and_the_audio_is_an_hls_fmp4_output_in_its_own_directory() -> None:
    argv = _argv((1280, 720, True, True), [360, 720])
    assert _values(argv, "-f")[1:] == ["hls", "hls", "hls"]
    assert _values(argv, "-hls_segment_type") == ["fmp4"] * 3
    assert _values(argv, "-hls_time") == ["2"] * 3
    # EVENT: ffmpeg lists each clip as it closes it, so clips are published as they come.
    assert _values(argv, "-hls_playlist_type") == ["event"] * 3
    assert _values(argv, "-hls_flags") == ["independent_segments"] * 3
    assert _values(argv, "-hls_segment_filename") == [
        "/work/out/360p/seg_%06d.m4s",
        "/work/out/720p/seg_%06d.m4s",
        "/work/out/audio/seg_%06d.m4s",
    ]
    assert "/work/out/360p/index.m3u8" in argv
    assert argv[-1] == "/work/out/audio/index.m3u8"


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
    assert _values(argv, "-map_metadata") == ["-1", "-1"]


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
    assert filter_graph(build_ladder(321, 241, True, False, [240]).video, 30) == (
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


def _chunk_argv(chunk: Chunk, *, audio: bool = False, fps: float = 25.0) -> list[str]:
    ladder = build_ladder(640, 360, True, audio, [240, 360])
    return build_argv(
        ffmpeg="ffmpeg",
        source=SRC,
        container="mov",
        source_fps=fps,
        rungs=ladder.all if audio else ladder.video,
        out_dir=OUT,
        preset="veryfast",
        chunk=chunk,
    )


def test_a_chunk_seeks_one_second_early_and_keeps_exactly_its_frames() -> None:
    argv = _chunk_argv(Chunk(index=2, start=60, end=90, first_clip=30))
    i = argv.index("-i")
    assert argv[argv.index("-ss") + 1] == "59"
    assert argv.index("-ss") < i  # an input seek: through the index, not decoding from 0
    (graph,) = _values(argv, "-filter_complex")
    # Frames [25, 775) of the 25 fps timeline that starts at 59 s: 60 s up to 90 s, exactly.
    assert graph.startswith("[0:V:0]fps=25,trim=start_pts=25:end_pts=775,setpts=PTS-STARTPTS,")


def test_the_last_chunk_runs_to_the_end_of_the_source() -> None:
    argv = _chunk_argv(Chunk(index=1, start=30, end=None, first_clip=15))
    (graph,) = _values(argv, "-filter_complex")
    assert "trim=start_pts=25,setpts=PTS-STARTPTS," in graph


def test_the_first_chunk_needs_no_seek() -> None:
    argv = _chunk_argv(Chunk(index=0, start=0, end=30, first_clip=0))
    assert "-ss" not in argv
    assert "-output_ts_offset" not in argv
    (graph,) = _values(argv, "-filter_complex")
    assert "trim=start_pts=0:end_pts=750," in graph


def test_chunk_clips_carry_their_index_and_time_in_the_whole_rendition() -> None:
    argv = _chunk_argv(Chunk(index=2, start=60, end=90, first_clip=30))
    assert _values(argv, "-start_number") == ["30", "30"]  # both rungs, from one decode
    assert _values(argv, "-output_ts_offset") == ["60", "60"]
    # Timestamps kept as encoded, so every chunk's init segment is the same bytes.
    assert _values(argv, "-avoid_negative_ts") == ["disabled", "disabled"]
    movflags = "movflags=+frag_discont+negative_cts_offsets:use_editlist=0"
    assert _values(argv, "-hls_segment_options") == [movflags] * 2


def test_whole_encodes_time_pictures_as_chunks_do_but_leave_audio_alone() -> None:
    argv = _argv((640, 360, True, True), [360])
    assert _values(argv, "-avoid_negative_ts") == ["disabled"]
    movflags = "movflags=+frag_discont+negative_cts_offsets:use_editlist=0"
    assert _values(argv, "-hls_segment_options") == [movflags]
    assert "-start_number" not in argv and "-output_ts_offset" not in argv


def test_audio_is_never_cut_into_chunks() -> None:
    with pytest.raises(ValueError, match="audio is encoded whole"):
        _chunk_argv(Chunk(index=1, start=30, end=None, first_clip=15), audio=True)
