"""Small pure rules of live ingest: the wall-clock anchor, the viewer tally, the ingest plan
and the ffmpeg command lines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clipcast.live.argv import segmenter_argv, srt_listener_argv
from clipcast.live.plan import FeedFacts, FeedRefused, IngestMode, plan_following, plan_ingest
from clipcast.live.timeline import Timeline
from clipcast.live.viewers import ViewerTally

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
VIDEO = uuid.UUID("12345678-1234-5678-1234-567812345678")


def facts(codec: str | None = "h264", width: int = 1280, height: int = 720) -> FeedFacts:
    return FeedFacts("mpegts", codec, width, height, 30.0, True)


def test_wall_time_is_anchored_on_the_earliest_bound_and_never_moves_later() -> None:
    line = Timeline.starting(origin=10.0, first_byte_at=T0)
    line.observe(12.0, T0 + timedelta(seconds=2.3))  # arrived 0.3 s after it could have
    assert line.wall_at(10.0) == T0
    line.observe(14.0, T0 + timedelta(seconds=3.8))  # data up to 14 s by 3.8 s: origin ≤ -0.2 s
    assert line.wall_at(10.0) == T0 - timedelta(seconds=0.2)
    line.observe(16.0, T0 + timedelta(seconds=9))  # a late fragment says nothing new
    assert line.wall_at(12.0) == T0 + timedelta(seconds=1.8)


def test_viewers_are_the_reads_of_each_clip_document() -> None:
    tally = ViewerTally(clips_kept=3)
    for _ in range(5):
        tally.served(f"videos/{VIDEO}/live/000007.json")
    tally.served(f"videos/{VIDEO}/live/000008.json")
    tally.served(f"videos/{VIDEO}/360p/000007.m4s")  # clips are not counted
    assert tally.viewers(VIDEO, 7) == 5
    assert tally.viewers(VIDEO, 8) == 1
    for index in (9, 10, 11):
        tally.served(f"videos/{VIDEO}/live/{index:06d}.json")
    assert tally.viewers(VIDEO, 7) == 0  # only the newest few are kept


def test_an_h264_feed_within_the_cap_is_copied_as_one_rendition() -> None:
    plan = plan_ingest(facts(), ladder=[720, 360], max_resolution=720)
    assert plan.mode is IngestMode.COPY
    assert [(r.width, r.height) for r in plan.rungs] == [(1280, 720)]


def test_any_other_picture_is_encoded_to_the_ladder_it_reaches() -> None:
    plan = plan_ingest(facts("vp8", 640, 480), ladder=[720, 360], max_resolution=720)
    assert plan.mode is IngestMode.TRANSCODE
    assert [r.resolution for r in plan.rungs] == [360]  # never upscaled to 720


def test_an_h264_feed_above_the_cap_is_scaled_down() -> None:
    plan = plan_ingest(facts("h264", 1920, 1080), ladder=[720, 360], max_resolution=720)
    assert plan.mode is IngestMode.TRANSCODE
    assert [r.resolution for r in plan.rungs] == [360, 720]


def test_a_feed_without_picture_is_refused() -> None:
    with pytest.raises(FeedRefused, match="needs video"):
        plan_ingest(facts(None, 0, 0), ladder=[360], max_resolution=720)


def test_a_later_feed_keeps_the_renditions_the_first_one_set() -> None:
    first = plan_ingest(facts("h264", 640, 360), ladder=[720, 360], max_resolution=720)
    kept = [(r.resolution, r.width, r.height) for r in first.rungs]
    again = plan_following(facts("h264", 640, 360), first, kept)
    assert again.mode is IngestMode.COPY
    bigger = plan_ingest(facts("h264", 1280, 720), ladder=[720, 360], max_resolution=720)
    forced = plan_following(facts("h264", 1280, 720), bigger, kept)
    assert forced.mode is IngestMode.TRANSCODE
    assert [(r.resolution, r.width, r.height) for r in forced.rungs] == kept


def test_the_segmenter_reads_only_a_pipe_with_the_sniffed_demuxer() -> None:
    plan = plan_ingest(facts("vp8", 1280, 720), ladder=[720, 360], max_resolution=720)
    argv = segmenter_argv("ffmpeg", "matroska", plan, outputs=[7, 9], clip_seconds=2, preset="p")
    assert argv[argv.index("-f") + 1] == "matroska"
    assert argv[argv.index("-protocol_whitelist") + 1] == "pipe"
    assert argv[argv.index("-i") + 1] == "pipe:0"
    assert argv[-1] == "pipe:9"
    assert "pipe:7" in argv
    assert argv.count("expr:gte(t,n_forced*2)") == 2  # a keyframe at every clip, every rung
    assert argv.count("-c:v") == 2


def test_a_copied_feed_is_not_encoded() -> None:
    plan = plan_ingest(facts(), ladder=[720, 360], max_resolution=720)
    argv = segmenter_argv("ffmpeg", "mpegts", plan, outputs=[5], clip_seconds=2, preset="p")
    assert argv[argv.index("-c:v") + 1] == "copy"
    assert "-filter_complex" not in argv
    assert "libx264" not in argv


def test_one_output_per_rendition() -> None:
    plan = plan_ingest(facts(), ladder=[720, 360], max_resolution=720)
    with pytest.raises(ValueError, match="one output per rung"):
        segmenter_argv("ffmpeg", "mpegts", plan, outputs=[5, 6], clip_seconds=2, preset="p")


def test_the_srt_listener_takes_only_callers_with_its_passphrase_and_passes_the_feed_on() -> None:
    argv = srt_listener_argv("ffmpeg", "127.0.0.1", 19350, "s3cret-passphrase", 60)
    url = argv[argv.index("-i") + 1]
    assert url.startswith("srt://127.0.0.1:19350?mode=listener&passphrase=s3cret-passphrase")
    assert "listen_timeout=60000000" in url
    assert argv[argv.index("-protocol_whitelist") + 1] == "srt,udp"
    assert argv[argv.index("-f") + 1] == "mpegts"  # the demuxer is pinned
    assert argv[-1] == "pipe:1"
