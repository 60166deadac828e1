"""Use cases of activity that write: accept a batch (API), apply batches (bus consumer),
remove from or clear a viewer's history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity import inflight
from clipcast.activity import repository as repo
from clipcast.activity.fold import ActivityEvent, Batch, keys_of
from clipcast.activity.limits import RateLimits
from clipcast.activity.partitions import LogPartitions
from clipcast.activity.rules import SIGNED_IN_ONLY, Action, clip_count
from clipcast.adapters.bus.base import Event
from clipcast.adapters.counters.base import Counters
from clipcast.core.clock import utcnow
from clipcast.core.errors import InvalidInput, NotFound, TooLarge, TooManyRequests, Unauthorized
from clipcast.core.ids import new_id
from clipcast.events.dedupe import handle_batch_once
from clipcast.videos.access import visible_ids

Sessions = async_sessionmaker[AsyncSession]
ACTIVITY_BATCH = inflight.ACTIVITY_BATCH
CONSUMER = "activity"
# Event times are the client's (so retries and reorderings converge); within these bounds of
# the server's clock, which also bound how late a batch may be for the hourly view rule.
MAX_EVENT_AGE = timedelta(hours=24)
MAX_EVENT_LEAD = timedelta(minutes=5)
MAX_KNOWN_DURATIONS = 100_000
TRANSACTION_EVENTS = 2_000


@dataclass(frozen=True)
class Caller:
    """Who posts: a signed-in user (viewer id = user id) or an anonymous viewer id."""

    viewer_id: uuid.UUID
    user_id: uuid.UUID | None

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


@dataclass(frozen=True)
class IngestRules:
    max_events: int
    clip_seconds: int
    limits: RateLimits
    # Video lengths this process has read: a length never changes once the source is probed,
    # so the check of clip indices costs no query after the first batch of a video.
    durations: dict[uuid.UUID, float] = field(default_factory=dict)


async def accept_batch(
    *,
    sessions: Sessions,
    caller: Caller,
    events: list[ActivityEvent],
    rules: IngestRules,
    now: datetime,
    monotonic: float,
) -> Batch:
    """Validate a batch and write it to the outbox (with its pending row) in one transaction.

    All or nothing: any bad event refuses the batch with the first problem found.
    """
    if len(events) > rules.max_events:
        raise TooLarge(
            f"A batch holds at most {rules.max_events} events; this one has {len(events)}.",
            code="batch_too_large",
        )
    _check_caller(caller, events)
    _check_times(events, now)
    wait = rules.limits.take(caller.viewer_id, len(events), monotonic)
    if wait:
        raise TooManyRequests("Too many events; slow down.", retry_after=wait)
    batch = Batch(new_id(), caller.viewer_id, caller.signed_in, tuple(events))
    async with sessions() as session, session.begin():
        durations = await _visible_durations(session, caller, events, rules.durations)
        _check_videos(events, durations, rules.clip_seconds)
        await _check_comments(session, events)
        inflight.add_batch(session, batch, now)
    return batch


def _check_caller(caller: Caller, events: list[ActivityEvent]) -> None:
    if caller.signed_in:
        return
    for index, event in enumerate(events):
        if event.action in SIGNED_IN_ONLY:
            raise Unauthorized(
                f"events.{index}: log in to {event.action.replace('_', ' ')}.",
                code="login_required",
            )


def _check_times(events: list[ActivityEvent], now: datetime) -> None:
    low = int((now - MAX_EVENT_AGE).timestamp() * 1000)
    high = int((now + MAX_EVENT_LEAD).timestamp() * 1000)
    for index, event in enumerate(events):
        if not low <= event.ts_ms <= high:
            raise InvalidInput(
                f"events.{index}.ts: event times are milliseconds since the epoch, at most "
                "24 hours old and not in the future.",
                code="bad_timestamp",
            )


async def _visible_durations(
    session: AsyncSession,
    caller: Caller,
    events: list[ActivityEvent],
    known: dict[uuid.UUID, float],
) -> dict[uuid.UUID, float | None]:
    wanted = {event.video_id for event in events}
    visible = await visible_ids(session, wanted, caller.user_id)
    if visible != wanted:
        # The same answer as for a video that does not exist: hidden ids are not revealed.
        raise NotFound("No such video.", code="video_not_found")
    missing = [video for video in visible if video not in known]
    if missing:
        if len(known) > MAX_KNOWN_DURATIONS:
            known.clear()
        for video, facts in (await repo.video_facts(session, missing)).items():
            if facts.duration is not None:
                known[video] = facts.duration
    return {video: known.get(video) for video in visible}


def _check_videos(
    events: list[ActivityEvent], durations: dict[uuid.UUID, float | None], clip_seconds: int
) -> None:
    for index, event in enumerate(events):
        duration = durations[event.video_id]
        if event.action is Action.CLIP_VIEW:
            assert event.clip is not None
            clips = clip_count(duration, clip_seconds) if duration else 0
            if event.clip >= clips:
                raise InvalidInput(
                    f"events.{index}.clip: the video has {clips} clips (0–{clips - 1}).",
                    code="clip_out_of_range",
                )
        leave = event.action is Action.PAGE_LEAVE and event.position is not None
        if leave and (duration is None or (event.position or 0.0) > duration + clip_seconds):
            raise InvalidInput(
                f"events.{index}.position: past the end of the video.",
                code="position_out_of_range",
            )


async def _check_comments(session: AsyncSession, events: list[ActivityEvent]) -> None:
    wanted = {e.comment_id for e in events if e.comment_id is not None}
    if not wanted:
        return
    videos = await repo.comment_videos(session, wanted)
    for index, event in enumerate(events):
        if event.comment_id is not None and videos.get(event.comment_id) != event.video_id:
            raise NotFound(f"events.{index}: no such comment.", code="comment_not_found")


# -- the bus consumer --------------------------------------------------------------------


async def apply_batches(
    events: list[Event],
    *,
    sessions: Sessions,
    counters: Counters,
    partitions: LogPartitions,
    clip_seconds: int,
) -> set[uuid.UUID]:
    """Apply activity batches: SQL effects once per event id, then the frozen increments to
    the counters store once per batch id. Returns the ids of the events that failed."""
    batches = {e.id: Batch.from_payload(e.payload) for e in events}
    await partitions.ensure(sessions, {e.ts_ms for b in batches.values() for e in b.events})

    async def work(session: AsyncSession, fresh: list[Event]) -> None:
        await fold_into_sql(session, [batches[e.id] for e in fresh], clip_seconds)

    failed: set[uuid.UUID] = set()
    for chunk in _chunks(events, batches):
        failed.update(await handle_batch_once(sessions, CONSUMER, chunk, work))
    done = [batch.id for event_id, batch in batches.items() if event_id not in failed]
    await flush(sessions=sessions, counters=counters, batch_ids=done)
    return failed


def _chunks(events: list[Event], batches: dict[uuid.UUID, Batch]) -> list[list[Event]]:
    """Deliveries cut into transactions of at most TRANSACTION_EVENTS activity events: a
    transaction holds rows (and on SQLite the one write lock) while it runs, so the API's
    writes and other consumers wait at most that long."""
    chunks: list[list[Event]] = [[]]
    size = 0
    for event in events:
        count = len(batches[event.id].events)
        if chunks[-1] and size + count > TRANSACTION_EVENTS:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += count
    return chunks


async def fold_into_sql(session: AsyncSession, batches: list[Batch], clip_seconds: int) -> None:
    """In the caller's transaction: lock the rows the batches touch, fold them in, write the
    state, the log and each batch's frozen increments."""
    keys = keys_of(batches)
    facts = await repo.video_facts(session, keys.videos)
    await repo.ensure_rows(session, keys, set(facts))
    fold = await repo.load_fold(session, keys, clip_seconds, lock=True)
    now = utcnow()
    for batch in batches:
        inflight.freeze(session, batch.id, fold.batch(batch), now)
    await repo.save_fold(session, fold)


async def flush(*, sessions: Sessions, counters: Counters, batch_ids: Sequence[uuid.UUID]) -> None:
    """Apply the frozen increments of these batches (a redelivery after a crash finds them
    here), then forget the batches. The store skips ids it has, so this may run any number
    of times."""
    if not batch_ids:
        return
    async with sessions() as session:
        frozen = await inflight.frozen(session, batch_ids)
    await counters.apply_many(frozen)
    async with sessions() as session, session.begin():
        await inflight.settle(session, batch_ids)


# -- history edits -----------------------------------------------------------------------


async def remove_from_history(
    *, sessions: Sessions, user_id: uuid.UUID, video_id: uuid.UUID, now: datetime
) -> None:
    """Erase one video from the user's history (its later-arriving older events too)."""
    async with sessions() as session, session.begin():
        await repo.ensure_history(session, user_id, [video_id])
        await repo.clear_history(session, user_id, [video_id], _ms(now))


async def clear_history(*, sessions: Sessions, user_id: uuid.UUID, now: datetime) -> None:
    """Erase the user's whole watch history, including batches still on their way."""
    async with sessions() as session, session.begin():
        pending = await inflight.pending_of(session, user_id)
        videos = {e.video_id for batch in pending for e in batch.events}
        await repo.ensure_history(session, user_id, videos)
        await repo.clear_history(session, user_id, None, _ms(now))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
