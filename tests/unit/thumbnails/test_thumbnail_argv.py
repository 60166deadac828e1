"""ffmpeg command lines of the thumbnailer: pinned demuxer, local files only, planned outputs."""

from __future__ import annotations

from pathlib import Path

from clipcast.thumbnails.argv import candidates_argv, storyboard_and_preview_argv
from clipcast.thumbnails.layout import Storyboard

BOARD = Storyboard(
    starts=(0.0, 2.0, 4.0), step=1, interval=2.0, tile_width=160, tile_height=90, columns=3, rows=1
)


def _inputs(argv: list[str]) -> list[list[str]]:
    """The options right before each `-i`, and the `-i` value."""
    found = []
    for n, arg in enumerate(argv):
        if arg == "-i":
            found.append(argv[max(0, n - 6) : n + 2])
    return found


def test_every_input_is_a_local_file_read_by_the_mov_demuxer() -> None:
    commands = [
        candidates_argv(
            ffmpeg="ffmpeg",
            source=Path("/w/c.mp4"),
            out_dir=Path("/w/o"),
            size=(640, 360),
            count=4,
            min_gap=1.5,
        ),
        storyboard_and_preview_argv(
            ffmpeg="ffmpeg",
            storyboard_source=Path("/w/s.mp4"),
            board=BOARD,
            min_gap=1.5,
            snippets=[Path("/w/a.mp4"), Path("/w/b.mp4")],
            snippet_seconds=1,
            preview_size=(320, 180),
            preview_fps=10,
            out_dir=Path("/w/o"),
        ),
    ]
    for argv in commands:
        assert "-progress" in argv  # the watchdog sees progress
        for options in _inputs(argv):
            assert options[-1].startswith("file:/w/")
            assert options[-6:-2] == ["-f", "mov", "-protocol_whitelist", "file,pipe"]


def test_storyboard_tiles_and_preview_come_out_as_planned() -> None:
    argv = storyboard_and_preview_argv(
        ffmpeg="ffmpeg",
        storyboard_source=Path("/w/s.mp4"),
        board=BOARD,
        min_gap=1.5,
        snippets=[Path("/w/a.mp4"), Path("/w/b.mp4")],
        snippet_seconds=1,
        preview_size=(320, 180),
        preview_fps=10,
        out_dir=Path("/w/o"),
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert "scale=160:90" in graph and "tile=3x1" in graph
    assert "[1:V:0][2:V:0]concat=n=2:v=1:a=0,fps=10,scale=320:180" in graph
    assert argv.count("-skip_frame") == 1  # only the storyboard reads keyframes alone
    assert argv[argv.index("-skip_frame") + 1] == "nokey"
    assert argv[-1] == "/w/o/preview.webp"
