"""Reading ffmpeg's media playlist into clips, and the bandwidth a master playlist announces."""

from __future__ import annotations

import pytest

from clipcast.transcoding.segments import (
    EncodedClip,
    PlaylistError,
    average_bandwidth,
    parse_media_playlist,
    peak_bandwidth,
)

FFMPEG_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.000000,
seg_000000.m4s
#EXTINF:2.000000,
seg_000001.m4s
#EXTINF:0.966667,
seg_000002.m4s
#EXT-X-ENDLIST
"""


def test_clips_get_indexes_offsets_and_durations() -> None:
    assert parse_media_playlist(FFMPEG_PLAYLIST) == [
        EncodedClip(0, "seg_000000.m4s", 0.0, 2.0),
        EncodedClip(1, "seg_000001.m4s", 2.0, 2.0),
        EncodedClip(2, "seg_000002.m4s", 4.0, 0.966667),
    ]


def test_offsets_do_not_drift_over_long_videos() -> None:
    body = "".join(f"#EXTINF:2.000000,\nseg_{i:06d}.m4s\n" for i in range(5400))
    clips = parse_media_playlist(f"#EXTM3U\n{body}#EXT-X-ENDLIST\n")
    assert clips[-1].offset == 10798.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "seg_000000.m4s\n",
        "#EXTM3U\n#EXTINF:2.0,\nseg_000000.m4s\n",  # unfinished: ffmpeg died mid-run
        "#EXTM3U\nseg_000000.m4s\n#EXT-X-ENDLIST\n",
        "#EXTM3U\n#EXTINF:abc,\nseg_000000.m4s\n#EXT-X-ENDLIST\n",
        "#EXTM3U\n#EXTINF:-1,\nseg_000000.m4s\n#EXT-X-ENDLIST\n",
        "#EXTM3U\n#EXTINF:2.0,\n../../etc/passwd\n#EXT-X-ENDLIST\n",
    ],
)
def test_broken_playlists_are_refused(text: str) -> None:
    with pytest.raises(PlaylistError):
        parse_media_playlist(text)


def test_average_bandwidth_is_total_bits_over_total_time() -> None:
    assert average_bandwidth([250_000, 250_000, 125_000], [2.0, 2.0, 1.0]) == 1_000_000
    assert average_bandwidth([], []) == 0


def test_peak_bandwidth_is_the_busiest_window_of_about_one_clip() -> None:
    sizes = [100_000, 400_000, 100_000]
    assert peak_bandwidth(sizes, [2.0, 2.0, 2.0], target=2) == 1_600_000


def test_a_tiny_last_clip_is_judged_with_its_neighbour() -> None:
    # 20 KB in 0.1 s alone would read as 1.6 Mb/s; over the last 2.1 s it is 0.46 Mb/s.
    sizes = [100_000, 100_000, 20_000]
    assert peak_bandwidth(sizes, [2.0, 2.0, 0.1], target=2) == 457_143


def test_a_video_shorter_than_half_a_clip_uses_its_average() -> None:
    assert peak_bandwidth([10_000], [0.5], target=2) == 160_000
