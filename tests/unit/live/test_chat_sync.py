"""The chat sync rule: a message is shown when playback reaches the clip and offset its sender
saw, never earlier; where a message sent now sits; which claimed positions are refused; where
a message replays in the recording."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clipcast.live.chat_sync import (
    ClipTime,
    Edge,
    NewestClip,
    Position,
    Refusal,
    SyncQueue,
    check_claim,
    due,
    stamp,
    vod_time,
)

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
STREAM = uuid.UUID("12345678-1234-5678-1234-567812345678")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# Clip 9 was captured from T0 for 2 s; clip 10 is reserved (being stored), not yet published.
EDGE = Edge(newest=NewestClip(9, T0, 2.0), reserved=10, clip_seconds=2.0)


def test_a_message_is_due_at_its_position_and_after_never_before() -> None:
    sent = Position(7, 1.25)
    assert not due(sent, Position(7, 1.249))
    assert not due(sent, Position(6, 1.9))
    assert due(sent, Position(7, 1.25))
    assert due(sent, Position(8, 0.0))  # a later clip, whatever its offset


def test_the_queue_releases_each_message_when_playback_passes_it_in_order() -> None:
    queue: SyncQueue[str] = SyncQueue()
    queue.add("b", Position(5, 1.5), "b")
    queue.add("a", Position(5, 0.2), "a")
    queue.add("c", Position(6, 0.0), "c")
    assert queue.release(None) == []  # nothing plays yet: nothing is shown
    assert queue.release(Position(5, 0.1)) == []
    assert queue.release(Position(5, 1.6)) == ["a", "b"]
    assert queue.release(Position(5, 1.9)) == []
    assert queue.release(Position(6, 0.0)) == ["c"]
    assert len(queue) == 0


def test_the_queue_never_releases_early_whatever_the_order_of_arrival() -> None:
    rng = random.Random(12)
    queue: SyncQueue[Position] = SyncQueue()
    positions = [Position(rng.randrange(0, 30), rng.uniform(0, 2)) for _ in range(300)]
    playing = Position(0, 0.0)
    shown: list[tuple[Position, Position]] = []
    for n, position in enumerate(positions):
        queue.add(str(n), position, position)
        playing = Position(playing.index + (rng.random() < 0.1), rng.uniform(0, 2))
        shown += [(p, playing) for p in queue.release(playing)]
    assert all(p <= played for p, played in shown)
    assert len(shown) + len(queue) == len(positions)


def test_a_message_from_the_socket_and_from_a_document_is_shown_once() -> None:
    queue: SyncQueue[str] = SyncQueue()
    assert queue.add("m1", Position(3, 0.5), "socket") is True
    assert queue.add("m1", Position(3, 0.5), "document") is False
    assert queue.release(Position(4, 0.0)) == ["socket"]


def test_a_deleted_message_is_never_released() -> None:
    queue: SyncQueue[str] = SyncQueue()
    queue.add("m1", Position(3, 0.5), "m1")
    queue.add("m2", Position(3, 0.6), "m2")
    queue.drop("m1")
    queue.drop("m3")  # deleted before it arrived: when it comes it is not shown either
    queue.add("m3", Position(3, 0.7), "m3")
    assert queue.release(Position(4, 0.0)) == ["m2"]


def test_a_message_sent_now_is_stamped_where_now_is_being_recorded() -> None:
    assert stamp(EDGE, at(1.5)) == Position(9, 1.5)  # the newest clip, still being captured
    assert stamp(EDGE, at(2.75)) == Position(10, 0.75)
    assert stamp(EDGE, at(4.5)) == Position(11, 0.5)
    # A stalled feed: the message waits for whatever comes next, from its start.
    assert stamp(EDGE, at(30)) == Position(10, 0.0)
    assert stamp(Edge(None, -1, 2.0), at(5)) == Position(0, 0.0)  # before the first clip


def test_a_claim_of_a_moment_seen_is_accepted() -> None:
    for claim in (Position(9, 1.99), Position(9, 2.2), Position(0, 0.0), Position(4, 1.0)):
        assert check_claim(STREAM, STREAM, claim, EDGE, at(2.4)) is None
    # The clip being stored: its first moments were recorded by now.
    assert check_claim(STREAM, STREAM, Position(10, 0.3), EDGE, at(2.4)) is None


def test_a_claim_past_the_live_edge_is_refused_as_the_future() -> None:
    for claim in (Position(11, 0.0), Position(10, 1.5), Position(9, 2.5), Position(500, 0)):
        assert check_claim(STREAM, STREAM, claim, EDGE, at(2.4)) is Refusal.FUTURE
    before_any = Edge(None, -1, 2.0)
    assert check_claim(STREAM, STREAM, Position(0, 0.0), before_any, at(9)) is Refusal.FUTURE


def test_a_claim_of_another_stream_or_no_moment_is_refused() -> None:
    other = uuid.uuid4()
    assert check_claim(STREAM, other, Position(3, 0.1), EDGE, at(3)) is Refusal.OTHER_STREAM
    nowhere = (Position(-1, 0.0), Position(3, -0.1), Position(3, 9.0), Position(3, float("nan")))
    for claim in nowhere:
        assert check_claim(STREAM, STREAM, claim, EDGE, at(3)) is Refusal.BAD_POSITION


def test_a_message_replays_at_its_clip_start_plus_its_offset() -> None:
    clips = [ClipTime(0, 0.0, 2.0), ClipTime(1, 2.0, 2.0), ClipTime(3, 4.0, 1.5)]  # 2 skipped
    assert vod_time(Position(1, 0.75), clips) == 2.75
    assert vod_time(Position(3, 1.4), clips) == pytest.approx(5.4)
    assert vod_time(Position(3, 1.9), clips) == 5.5  # past its clip's end: the clip's end
    assert vod_time(Position(2, 0.5), clips) == 4.0  # a clip never published: the next start
    assert vod_time(Position(4, 0.5), clips) == 5.5  # after the last clip: the end
    assert vod_time(Position(0, 1.0), []) == 0.0
