"""Folding batches into state and counter increments: exact and order-free."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

from clipcast.activity.fold import ActivityEvent, Batch, Fold, History, VideoFacts, keys_of
from clipcast.activity.rules import HOUR_MS, Action, Reaction
from clipcast.adapters.counters.base import CounterDeltas

VIDEO = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")
COMMENT = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
T0 = 1_800_000_000_000  # an hour boundary in ms


def _fold() -> Fold:
    facts = {VIDEO: VideoFacts(duration=9.0, tags=("cats",)), OTHER: VideoFacts(duration=3.0)}
    return Fold(facts=facts, history={}, windows={}, reactions={}, clip_seconds=2)


def _event(n: int, action: Action, ts: int, **kw: Any) -> ActivityEvent:
    return ActivityEvent(id=f"e{n}", action=action, video_id=kw.pop("video", VIDEO), ts_ms=ts, **kw)


def _clip(n: int, clip: int, ts: int, video: uuid.UUID = VIDEO) -> ActivityEvent:
    return _event(n, Action.CLIP_VIEW, ts, clip=clip, resolution=240, video=video)


def _batch(viewer: uuid.UUID, *events: ActivityEvent, signed_in: bool = True) -> Batch:
    return Batch(uuid.uuid4(), viewer, signed_in, tuple(events))


def _apply(fold: Fold, batches: list[Batch]) -> CounterDeltas:
    total = CounterDeltas()
    for batch in batches:
        total.add(fold.batch(batch))
    return total


def _nonzero(counter: dict[Any, Any]) -> dict[Any, Any]:
    return {k: v for k, v in counter.items() if v}


def test_two_clips_make_one_view_and_every_clip_reached_counts_once() -> None:
    viewer = uuid.uuid4()
    fold = _fold()
    deltas = _apply(
        fold, [_batch(viewer, _clip(1, 0, T0), _clip(2, 0, T0 + 1), _clip(3, 1, T0 + 2))]
    )
    deltas.add(fold.batch(_batch(viewer, _clip(4, 2, T0 + 3))))
    assert deltas.video_counts(VIDEO).views == 1
    assert deltas.video_counts(VIDEO).watch_ms == 6000
    assert _nonzero(deltas.clips) == {(VIDEO, 0): 1, (VIDEO, 1): 1, (VIDEO, 2): 1}
    assert _nonzero(deltas.hours) == {(VIDEO, T0 // HOUR_MS): 1}
    hour = T0 // HOUR_MS
    assert _nonzero(deltas.hot) == {("all", hour, VIDEO): 1.0, ("tag:cats", hour, VIDEO): 1.0}
    history = fold.history[(viewer, VIDEO)]
    assert history.watch_count == 1
    assert history.position == 4.0  # the newest clip's start
    assert [entry.effect.views for entry in fold.logged] == [0, 0, 1, 0]


def test_one_clip_is_not_a_view_but_half_of_a_short_video_is() -> None:
    fold = _fold()
    long_video = fold.batch(_batch(uuid.uuid4(), _clip(1, 3, T0)))
    short_video = fold.batch(_batch(uuid.uuid4(), _clip(2, 0, T0, video=OTHER)))
    assert long_video.video_counts(VIDEO).views == 0
    assert short_video.video_counts(OTHER).views == 1
    assert short_video.video_counts(OTHER).watch_ms == 2000


def test_a_new_clock_hour_counts_a_new_view() -> None:
    viewer, fold = uuid.uuid4(), _fold()
    first = [_clip(1, 0, T0), _clip(2, 1, T0 + 10)]
    later = [_clip(3, 0, T0 + HOUR_MS), _clip(4, 1, T0 + HOUR_MS + 10)]
    deltas = _apply(fold, [_batch(viewer, *first), _batch(viewer, *later)])
    assert deltas.video_counts(VIDEO).views == 2
    assert deltas.clips[(VIDEO, 0)] == 2  # reached in each of two view windows


def test_clip_past_the_end_and_unknown_videos_change_nothing() -> None:
    fold = _fold()
    deltas = fold.batch(_batch(uuid.uuid4(), _clip(1, 99, T0), _clip(2, 0, T0, video=uuid.uuid4())))
    assert deltas.is_empty()
    assert len(fold.logged) == 1  # the unknown video's event is dropped, not logged


def test_likes_are_set_state_so_repeats_and_old_writes_move_nothing() -> None:
    user, fold = uuid.uuid4(), _fold()
    like = _event(1, Action.LIKE, T0 + 10)
    batches = [
        _batch(user, like),
        _batch(user, like),  # redelivered
        _batch(user, _event(2, Action.CLEAR, T0 + 5)),  # older than the like: loses
        _batch(user, _event(3, Action.DISLIKE, T0 + 20)),
    ]
    deltas = _apply(fold, batches)
    assert deltas.video_counts(VIDEO).likes == 0
    assert deltas.video_counts(VIDEO).dislikes == 1
    assert fold.history[(user, VIDEO)].reaction is Reaction.DISLIKE


def test_page_leave_sets_the_resume_position_by_event_time() -> None:
    viewer, fold = uuid.uuid4(), _fold()
    late_leave = _event(1, Action.PAGE_LEAVE, T0 + 50, position=7.5)
    older_clip = _clip(2, 1, T0 + 40)
    _apply(fold, [_batch(viewer, late_leave, older_clip, signed_in=False)])
    history = fold.history[(viewer, VIDEO)]
    assert history.position == 7.5
    assert history.progress == 7.5 / 9.0
    assert history.last_watched_ms == T0 + 50
    assert not history.signed_in


def test_events_before_a_clear_leave_history_alone_but_still_count() -> None:
    viewer, fold = uuid.uuid4(), _fold()
    fold.history[(viewer, VIDEO)] = History(signed_in=True, cleared_ms=T0 + 100)
    deltas = fold.batch(_batch(viewer, _clip(1, 0, T0), _clip(2, 1, T0 + 1)))
    assert deltas.video_counts(VIDEO).views == 1
    assert fold.history[(viewer, VIDEO)].last_watched_ms is None
    fold.batch(_batch(viewer, _clip(3, 2, T0 + 200)))
    assert fold.history[(viewer, VIDEO)].last_watched_ms == T0 + 200


def test_comment_votes_move_comment_counts() -> None:
    user, fold = uuid.uuid4(), _fold()
    deltas = _apply(
        fold,
        [
            _batch(user, _event(1, Action.COMMENT_LIKE, T0, comment_id=COMMENT)),
            _batch(user, _event(2, Action.COMMENT_DISLIKE, T0 + 1, comment_id=COMMENT)),
        ],
    )
    assert _nonzero(deltas.comments) == {(VIDEO, COMMENT, "dislikes"): 1}
    assert fold.reactions[(user, COMMENT)].reaction is Reaction.DISLIKE
    keys = keys_of([_batch(user, _event(3, Action.CLEAR, T0, comment_id=COMMENT))])
    assert keys.reactions == {(user, COMMENT): VIDEO}
    assert not keys.history


def _totals(batches: list[Batch]) -> tuple[dict[str, Any], dict[Any, Any]]:
    fold = _fold()
    deltas = _apply(fold, batches)
    state = {k: (h.reaction, h.position, h.watch_count) for k, h in fold.history.items()}
    counts = {
        "videos": _nonzero(deltas.videos),
        "clips": _nonzero(deltas.clips),
        "hours": _nonzero(deltas.hours),
        "comments": _nonzero(deltas.comments),
    }
    return counts, state


def test_any_order_and_any_redelivery_give_the_same_counts_and_state() -> None:
    rng = random.Random(7)
    viewers = [uuid.uuid4() for _ in range(4)]
    actions = [Action.LIKE, Action.DISLIKE, Action.CLEAR]
    batches = []
    for n in range(60):
        viewer, ts = rng.choice(viewers), T0 + rng.randrange(3 * HOUR_MS)
        event = _clip(n, rng.randrange(5), ts) if n % 3 else _event(n, rng.choice(actions), ts)
        batches.append(_batch(viewer, event))
    expected = _totals(batches)
    for _ in range(20):
        shuffled = batches + rng.sample(batches, 15)  # some delivered twice
        rng.shuffle(shuffled)
        assert _totals(shuffled) == expected
    assert Counter(expected[0]["videos"])[(VIDEO, "views")] > 0


def test_batches_survive_the_bus_as_json() -> None:
    batch = _batch(
        uuid.uuid4(),
        _clip(1, 3, T0),
        _event(2, Action.PAGE_LEAVE, T0, position=1.5),
        _event(3, Action.COMMENT_LIKE, T0, comment_id=COMMENT),
    )
    assert Batch.from_payload(batch.to_payload()) == batch
    deltas = CounterDeltas()
    deltas.videos[(VIDEO, "views")] += 2
    deltas.hot[("all", 5, VIDEO)] += 1.5
    deltas.comments[(VIDEO, COMMENT, "likes")] -= 1
    assert CounterDeltas.from_json(deltas.to_json()) == deltas
