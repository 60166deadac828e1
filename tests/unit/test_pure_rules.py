"""Pure rules: tokens, playlists, the clip chain, states, byte ranges, progress, tus headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clipcast.cdn.caching import cache_control, content_type_for
from clipcast.cdn.ranges import Unsatisfiable, etag_matches, parse_range
from clipcast.cdn.signing import sign_playback, verify_playback
from clipcast.core.errors import InvalidInput
from clipcast.core.ids import clip_id
from clipcast.transcoding.progress import ProgressPlan
from clipcast.uploads.tus import encode_metadata, parse_metadata
from clipcast.videos.chain import NEXT_CLIPS, next_clip_ids
from clipcast.videos.lifecycle import (
    IllegalTransition,
    VideoState,
    Visibility,
    can_watch,
    check_transition,
)
from clipcast.videos.playlist import (
    PlaylistClip,
    PlaylistRendition,
    master_playlist,
    media_playlist,
)
from clipcast.videos.urls import media_root

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
VIDEO = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER = uuid.UUID("22222222-2222-4222-8222-222222222222")


class TestPlaybackTokens:
    def test_a_token_opens_its_own_video_until_it_expires(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60)
        assert verify_playback(b"k", token, VIDEO, NOW + timedelta(seconds=59))
        assert not verify_playback(b"k", token, VIDEO, NOW + timedelta(seconds=61))

    def test_a_token_does_not_open_another_video(self) -> None:
        assert not verify_playback(b"k", sign_playback(b"k", VIDEO, NOW, 60), OTHER, NOW)

    def test_a_token_signed_with_another_key_or_tampered_is_refused(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60)
        assert not verify_playback(b"other", token, VIDEO, NOW)
        mac, expires, version = token.split("/")
        assert not verify_playback(b"k", f"{mac}/{int(expires) + 3600}/{version}", VIDEO, NOW)
        for junk in ("", "/", "abc/def", "1/", f"{mac}/99999999999999/0"):
            assert not verify_playback(b"k", junk, VIDEO, NOW)

    def test_token_is_safe_in_a_url_path(self) -> None:
        token = sign_playback(b"k", VIDEO, NOW, 60)
        assert all(c.isalnum() or c in "-_/" for c in token)


class TestPlaylists:
    def test_media_playlist_lists_clips_in_order_with_init_and_endlist(self) -> None:
        text = media_playlist([PlaylistClip(1, 2.0), PlaylistClip(0, 2.0), PlaylistClip(2, 0.5)], 2)
        lines = text.splitlines()
        assert lines[0] == "#EXTM3U"
        assert '#EXT-X-MAP:URI="init.mp4"' in lines
        assert "#EXT-X-TARGETDURATION:2" in lines
        assert [ln for ln in lines if ln.endswith(".m4s")] == [
            "000000.m4s",
            "000001.m4s",
            "000002.m4s",
        ]
        assert lines[-1] == "#EXT-X-ENDLIST"
        assert "#EXTINF:0.50000," in lines

    def test_a_growing_playlist_is_an_event_playlist_played_from_the_start(self) -> None:
        text = media_playlist([PlaylistClip(0, 2.0), PlaylistClip(1, 2.0)], 2, ended=False)
        lines = text.splitlines()
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" in lines
        assert "#EXT-X-START:TIME-OFFSET=0,PRECISE=YES" in lines
        assert "#EXT-X-ENDLIST" not in lines
        assert [ln for ln in lines if ln.endswith(".m4s")] == ["000000.m4s", "000001.m4s"]
        finished = media_playlist([PlaylistClip(0, 2.0)], 2).splitlines()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in finished
        assert not any(ln.startswith("#EXT-X-START") for ln in finished)

    def test_target_duration_covers_the_longest_clip(self) -> None:
        assert "#EXT-X-TARGETDURATION:3" in media_playlist([PlaylistClip(0, 2.02)], 2)

    def test_master_lists_variants_highest_first_with_codecs_and_resolution(self) -> None:
        low = PlaylistRendition(240, 426, 240, 400_000, 350_000, "avc1.64000d", 30.0)
        high = PlaylistRendition(720, 1280, 720, 3_000_000, 2_500_000, "avc1.64001f", 30.0)
        text = master_playlist([low, high])
        variants = [ln for ln in text.splitlines() if ln.endswith("index.m3u8")]
        assert variants == ["720p/index.m3u8", "240p/index.m3u8"]
        assert "RESOLUTION=1280x720" in text
        assert 'CODECS="avc1.64001f"' in text
        assert "EXT-X-MEDIA" not in text and "AUDIO=" not in text  # a silent source

    def test_pictures_play_with_the_one_audio_rendition(self) -> None:
        audio = PlaylistRendition(0, 0, 0, 140_000, 130_000, "mp4a.40.2", None)
        low = PlaylistRendition(240, 426, 240, 400_000, 350_000, "avc1.64000d", 30.0)
        high = PlaylistRendition(720, 1280, 720, 3_000_000, 2_500_000, "avc1.64001f", 30.0)
        lines = master_playlist([audio, low, high]).splitlines()
        assert lines[3] == (
            '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="audio",DEFAULT=YES,'
            'AUTOSELECT=YES,URI="audio/index.m3u8"'
        )
        assert lines[4:] == [
            "#EXT-X-STREAM-INF:BANDWIDTH=3140000,AVERAGE-BANDWIDTH=2630000,"
            'CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="aud"',
            "720p/index.m3u8",
            "#EXT-X-STREAM-INF:BANDWIDTH=540000,AVERAGE-BANDWIDTH=480000,"
            'CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=426x240,FRAME-RATE=30.000,AUDIO="aud"',
            "240p/index.m3u8",
        ]

    def test_audio_only_variant_has_no_resolution(self) -> None:
        text = master_playlist([PlaylistRendition(0, 0, 0, 130_000, 128_000, "mp4a.40.2", None)])
        assert "RESOLUTION" not in text
        assert "EXT-X-MEDIA" not in text  # the audio playlist is the only variant
        assert text.splitlines()[-2:] == [
            '#EXT-X-STREAM-INF:BANDWIDTH=130000,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"',
            "audio/index.m3u8",
        ]


class TestClipChain:
    def test_each_clip_names_the_next_three(self) -> None:
        assert NEXT_CLIPS == 3
        ids = next_clip_ids(VIDEO, 360, 0, 10)
        assert ids == [str(clip_id(VIDEO, 360, i)) for i in (1, 2, 3)]

    def test_the_chain_ends_with_the_video(self) -> None:
        assert next_clip_ids(VIDEO, 360, 8, 10) == [str(clip_id(VIDEO, 360, 9))]
        assert next_clip_ids(VIDEO, 360, 9, 10) == []

    def test_clip_ids_differ_by_resolution_and_video(self) -> None:
        assert clip_id(VIDEO, 360, 0) != clip_id(VIDEO, 240, 0) != clip_id(OTHER, 360, 0)
        assert clip_id(VIDEO, 360, 0) == clip_id(VIDEO, 360, 0)


class TestLifecycle:
    def test_exactly_these_moves_are_allowed(self) -> None:
        allowed = set()
        for current in VideoState:
            for target in VideoState:
                try:
                    check_transition(current, target)
                except IllegalTransition:
                    continue
                allowed.add((current, target))
        assert allowed == {
            (VideoState.UPLOADING, VideoState.PROCESSING),
            (VideoState.PROCESSING, VideoState.READY),
            (VideoState.PROCESSING, VideoState.FAILED),
            (VideoState.UPLOADING, VideoState.FAILED),
            (VideoState.LIVE, VideoState.PROCESSING),  # the stream ended: its recording
            (VideoState.LIVE, VideoState.FAILED),
        }

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            (VideoState.READY, VideoState.PROCESSING),
            (VideoState.FAILED, VideoState.READY),
            (VideoState.READY, VideoState.READY),
            (VideoState.UPLOADING, VideoState.READY),
        ],
    )
    def test_final_states_stay_final(self, current: VideoState, target: VideoState) -> None:
        with pytest.raises(IllegalTransition):
            check_transition(current, target)

    def test_private_is_for_the_owner_or_a_token_holder(self) -> None:
        rule = {"visibility": Visibility.PRIVATE, "owner_id": VIDEO}
        assert can_watch(**rule, viewer_id=VIDEO, has_token=False)
        assert not can_watch(**rule, viewer_id=OTHER, has_token=False)
        assert not can_watch(**rule, viewer_id=None, has_token=False)
        assert can_watch(**rule, viewer_id=None, has_token=True)
        assert can_watch(
            visibility=Visibility.UNLISTED, owner_id=VIDEO, viewer_id=None, has_token=False
        )


class TestRanges:
    def test_ranges(self) -> None:
        assert parse_range(None, 100) is None
        assert parse_range("bytes=0-9", 100) == (0, 9)
        assert parse_range("bytes=90-", 100) == (90, 99)
        assert parse_range("bytes=-10", 100) == (90, 99)
        assert parse_range("bytes=50-500", 100) == (50, 99)
        assert parse_range("bytes=0-1,5-6", 100) is None
        assert parse_range("items=0-1", 100) is None

    @pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0", "bytes=9-3"])
    def test_unsatisfiable(self, header: str) -> None:
        with pytest.raises(Unsatisfiable):
            parse_range(header, 100)

    def test_etags(self) -> None:
        assert etag_matches('"a", "b"', '"b"')
        assert etag_matches('W/"b"', '"b"')
        assert etag_matches("*", '"b"')
        assert not etag_matches('"a"', '"b"')
        assert not etag_matches(None, '"b"')


class TestCaching:
    def test_public_clips_are_immutable_and_playlists_short(self) -> None:
        assert "immutable" in cache_control("videos/x/360p/000001.m4s", public=True)
        assert cache_control("videos/x/master.m3u8", public=True).startswith("public, max-age=")
        assert "immutable" not in cache_control("videos/x/master.m3u8", public=True)

    def test_private_media_is_never_shared_cacheable(self) -> None:
        for key in ("videos/x/master.m3u8", "videos/x/360p/000001.m4s", "videos/x/360p/init.mp4"):
            assert cache_control(key, public=False).startswith("private")

    def test_content_types(self) -> None:
        assert content_type_for("a/master.m3u8") == "application/vnd.apple.mpegurl"
        assert content_type_for("a/000001.m4s") == "video/iso.segment"
        assert content_type_for("a/init.mp4") == "video/mp4"
        assert content_type_for("a/noext") == "application/octet-stream"


class TestUrls:
    def test_public_and_signed_roots(self) -> None:
        assert media_root("http://h/", VIDEO, None) == f"http://h/cdn/videos/{VIDEO}/"
        assert media_root("http://h", VIDEO, "t-1") == f"http://h/cdn/s/t-1/videos/{VIDEO}/"


class TestProgress:
    def test_progress_is_monotonic_and_ends_below_100(self) -> None:
        plan = ProgressPlan.for_batches([[100], [400, 900]])
        seen = [plan.during(0, f / 10) for f in range(11)] + [
            plan.during(1, f / 10) for f in range(11)
        ]
        assert seen == sorted(seen)
        assert seen[0] == 0
        assert plan.after(1) == 99

    def test_the_first_batch_is_a_small_share_when_it_is_small(self) -> None:
        plan = ProgressPlan.for_batches([[100], [10_000]])
        assert plan.after(0) < 10


class TestTusMetadata:
    def test_round_trip(self) -> None:
        meta = {"filename": "ünïcode.mp4", "title": "A, B c", "empty": ""}
        assert parse_metadata(encode_metadata(meta)) == meta

    def test_key_without_value_is_empty(self) -> None:
        assert parse_metadata("flag") == {"flag": ""}

    @pytest.mark.parametrize("header", ["a !!", "a b c", "bad key aGk=", "a aGk=,a aGk="])
    def test_malformed(self, header: str) -> None:
        with pytest.raises(InvalidInput):
            parse_metadata(header)
