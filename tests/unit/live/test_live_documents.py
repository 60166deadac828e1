"""The clip document viewers read from the CDN, and the keys it lives under."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from clipcast.live.documents import (
    LiveClip,
    LiveRung,
    clip_document,
    encode,
    end_document,
)
from clipcast.live.keys import document_key, document_path, init_name

VIDEO = uuid.UUID("12345678-1234-5678-1234-567812345678")
T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
RUNGS = [
    LiveRung(360, 640, 360, 1_000_000, "avc1.64001e,mp4a.40.2"),
    LiveRung(720, 1280, 720, 3_000_000, "avc1.64001f,mp4a.40.2"),
]


CLIP = LiveClip(
    index=41,
    media_time=82.0,
    duration=2.0,
    program_date_time=T0,
    discontinuity=False,
    discontinuity_sequence=0,
    init="init.mp4",
    sizes=((360, 1000), (720, 3000)),
)


def document(**changes: Any) -> dict[str, Any]:
    return clip_document(
        video_id=VIDEO,
        clip=replace(CLIP, **changes),
        rungs=RUNGS,
        published_at=T0 + timedelta(seconds=2.2),
        clip_seconds=2,
        chat=[{"clip": 41, "offset": 0.5, "text": "hi"}],
        viewers=7,
    )


def test_the_next_clip_is_due_as_long_after_as_this_one_lasted() -> None:
    doc = document(duration=2.04)
    assert doc["next"]["expected_at"] == "2026-12-01T12:00:04.240Z"
    short = document(duration=0.3)  # a cut-short clip says nothing of the next one's length
    assert short["next"]["expected_at"] == "2026-12-01T12:00:03.200Z"


def test_the_document_points_to_the_next_clip_and_when_it_is_due() -> None:
    doc = document()
    assert doc["index"] == 41
    assert doc["next"] == {
        "index": 42,
        "url": "000042.json",
        "expected_at": "2026-12-01T12:00:04.200Z",
    }


def test_clip_urls_are_relative_so_a_signed_root_carries_over() -> None:
    renditions = document()["renditions"]
    assert isinstance(renditions, list)
    assert [r["clip"] for r in renditions] == ["../360p/000041.m4s", "../720p/000041.m4s"]
    assert [r["init"] for r in renditions] == ["../360p/init.mp4", "../720p/init.mp4"]
    assert [r["bytes"] for r in renditions] == [1000, 3000]
    assert renditions[0]["codecs"] == "avc1.64001e,mp4a.40.2"


def test_media_time_and_wall_time_of_the_clip() -> None:
    doc = document()
    assert doc["media_time"] == 82.0
    assert doc["duration"] == 2.0
    assert doc["program_date_time"] == "2026-12-01T12:00:00.000Z"
    assert doc["published_at"] == "2026-12-01T12:00:02.200Z"


def test_chat_and_viewers_are_carried_as_given() -> None:
    doc = document()
    assert doc["chat"] == [{"clip": 41, "offset": 0.5, "text": "hi"}]
    assert doc["viewers"] == 7


def test_an_interrupted_feed_is_marked_on_its_first_clip() -> None:
    doc = document(discontinuity=True, discontinuity_sequence=2, init="init-5.mp4")
    assert doc["discontinuity"] is True
    assert doc["discontinuity_sequence"] == 2
    renditions = doc["renditions"]
    assert isinstance(renditions, list)
    assert renditions[0]["init"] == "../360p/init-5.mp4"


def test_the_end_marker_stands_where_the_last_clip_pointed() -> None:
    end = end_document(video_id=VIDEO, index=42, ended_at=T0)
    assert end["ended"] is True
    assert end["index"] == 42
    assert end["next"] is None
    assert end["vod"] == "../master.m3u8"


def test_encoded_documents_are_compact_json() -> None:
    raw = encode(document())
    assert b" " not in raw.replace(b'"text":"hi"', b"")
    assert json.loads(raw)["index"] == 41


def test_document_keys_are_deterministic_and_made_from_server_ids() -> None:
    assert document_key(VIDEO, 42) == f"videos/{VIDEO}/live/000042.json"
    assert document_path(42) == "live/000042.json"


def test_a_reconnect_with_the_same_init_segment_keeps_its_name() -> None:
    assert init_name(0, same_as_first=False) == "init.mp4"
    assert init_name(3, same_as_first=True) == "init.mp4"
    assert init_name(3, same_as_first=False) == "init-3.mp4"
