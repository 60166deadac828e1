"""Live HLS playlists: a sliding window with program date-times, discontinuities, the VOD end."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from clipcast.live.documents import LiveClip
from clipcast.live.playlist import WINDOW, live_playlist

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


def clips(count: int, *, gap_at: int | None = None, new_init: bool = False) -> list[LiveClip]:
    out = []
    for i in range(count):
        after_gap = gap_at is not None and i >= gap_at
        out.append(
            LiveClip(
                index=i,
                media_time=2.0 * i,
                duration=2.0,
                program_date_time=T0 + timedelta(seconds=2 * i + (30 if after_gap else 0)),
                discontinuity=gap_at == i,
                discontinuity_sequence=1 if after_gap else 0,
                init="init-1.mp4" if after_gap and new_init else "init.mp4",
                sizes=(),
            )
        )
    return out


def test_a_live_playlist_lists_the_newest_clips_with_their_wall_times() -> None:
    text = live_playlist(clips(10), 2)
    assert f"#EXT-X-MEDIA-SEQUENCE:{10 - WINDOW}" in text
    assert text.count("#EXTINF:") == WINDOW
    assert text.count("#EXT-X-PROGRAM-DATE-TIME:") == WINDOW
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-12-01T12:00:18.000Z\n#EXTINF:2.00000,\n000009.m4s" in text
    assert "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-PLAYLIST-TYPE" not in text


def test_an_interruption_in_the_window_is_a_discontinuity_with_its_init_segment() -> None:
    text = live_playlist(clips(6, gap_at=3, new_init=True), 2)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:0" in text
    assert '#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1.mp4"\n' in text
    assert text.index("#EXT-X-DISCONTINUITY\n") < text.index("000003.m4s")
    assert text.index("#EXT-X-DISCONTINUITY\n") > text.index("000002.m4s")


def test_the_same_init_after_an_interruption_is_not_mapped_again() -> None:
    text = live_playlist(clips(6, gap_at=3), 2)
    assert text.count("#EXT-X-MAP") == 1
    assert text.count("#EXT-X-DISCONTINUITY\n") == 1


def test_once_the_interruption_left_the_window_its_count_moves_to_the_header() -> None:
    text = live_playlist(clips(12, gap_at=3), 2)
    assert "#EXT-X-DISCONTINUITY-SEQUENCE:1" in text
    assert "#EXT-X-DISCONTINUITY\n" not in text


def test_the_ended_stream_is_a_vod_playlist_of_every_clip() -> None:
    text = live_playlist(clips(12, gap_at=3), 2, ended=True)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text
    assert "#EXT-X-MEDIA-SEQUENCE:0" in text
    assert text.count("#EXTINF:") == 12
    assert text.rstrip().endswith("#EXT-X-ENDLIST")


def test_the_target_duration_covers_the_longest_clip() -> None:
    some = clips(2)
    some[1] = replace(some[1], duration=4.3)
    assert "#EXT-X-TARGETDURATION:5\n" in live_playlist(some, 2)
