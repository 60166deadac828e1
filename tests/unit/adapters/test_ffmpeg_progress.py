"""Folding ffmpeg's `-progress` output into a fraction, and a failed run's one-line summary."""

from __future__ import annotations

from clipcast.adapters.media.ffmpeg import ProgressTracker, summarize


def _block(
    tracker: ProgressTracker, out_time_us: str, frame: str, progress: str = "continue"
) -> bool:
    for line in (f"frame={frame}", "fps=0.00", f"out_time_us={out_time_us}", "total_size=N/A"):
        assert tracker.feed(line + "\n") is False
    return tracker.feed(f"progress={progress}\n")


def test_fraction_follows_output_time_over_source_duration() -> None:
    tracker = ProgressTracker(duration=10.0)
    assert _block(tracker, "2500000", "75")
    assert tracker.fraction == 0.25
    assert _block(tracker, "10200000", "306")
    assert tracker.fraction == 1.0  # never past the end, whatever ffmpeg pads


def test_a_repeated_block_is_not_progress() -> None:
    # ffmpeg blocked on its input keeps printing the same block every stats period.
    tracker = ProgressTracker(duration=10.0)
    assert _block(tracker, "2500000", "75")
    assert not _block(tracker, "2500000", "75")
    assert _block(tracker, "2533333", "76")


def test_end_is_progress_and_completes_the_run() -> None:
    tracker = ProgressTracker(duration=None)
    assert _block(tracker, "N/A", "0", progress="end")
    assert tracker.ended
    assert tracker.fraction == 1.0


def test_unknown_times_and_durations_read_as_zero_not_errors() -> None:
    tracker = ProgressTracker(duration=0.0)
    assert _block(tracker, "N/A", "0")
    assert tracker.fraction == 0.0
    _block(tracker, "1000000", "25")
    assert tracker.fraction == 0.0


def test_summary_is_the_last_telling_line_without_addresses_or_paths() -> None:
    tail = (
        "[in#0 @ 0x55d0c1a2b3c0] moov atom not found\n"
        "[in#0 @ 0x55d0c1a2b3c0] Error opening input: Invalid data found when processing input\n"
        "Error opening input file file:/srv/clipcast/work/1234/source.\n"
        "Conversion failed!\n"
    )
    assert summarize(tail) == "moov atom not found"
    assert summarize("Error opening input file /srv/x/source.\n") == "Error opening input file …"
    assert summarize("") == ""
