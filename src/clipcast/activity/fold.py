"""Folding activity batches into viewer state and counter increments (pure).

The bus consumer loads the state a batch touches (history rows, hourly view windows, comment
reactions), folds the batch in with `Fold.batch`, writes the changed state back and applies the
returned increments under the batch's id. Read-your-writes runs the same fold over a caller's
own batches not yet applied, on a copy of their state, to see what those batches will add.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from clipcast.activity import rules
from clipcast.activity.rules import Action, Reaction, Stamp
from clipcast.adapters.counters.base import CounterDeltas

HistoryKey = tuple[uuid.UUID, uuid.UUID]  # (viewer, video)
WindowKey = tuple[uuid.UUID, uuid.UUID, int]  # (viewer, video, hour)
ReactionKey = tuple[uuid.UUID, uuid.UUID]  # (user, comment)
_ACTIONS = {action.value: action for action in Action}


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """One validated event as the API accepted it; `id` is the client's event id."""

    id: str
    action: Action
    video_id: uuid.UUID
    ts_ms: int
    clip: int | None = None
    resolution: int | None = None
    position: float | None = None
    comment_id: uuid.UUID | None = None

    @property
    def stamp(self) -> Stamp:
        return (self.ts_ms, self.id)

    def to_row(self, videos: dict[uuid.UUID, int]) -> list[Any]:
        """The event as one compact row of its batch's payload; `videos` numbers the batch's
        videos (a batch names few videos, many times)."""
        video = videos.setdefault(self.video_id, len(videos))
        comment = str(self.comment_id) if self.comment_id is not None else None
        return [
            self.id,
            self.action.value,
            video,
            self.ts_ms,
            self.clip,
            self.resolution,
            self.position,
            comment,
        ]

    @classmethod
    def from_row(cls, row: list[Any], videos: list[uuid.UUID]) -> ActivityEvent:
        event_id, action, video, ts_ms, clip, resolution, position, comment = row
        return cls(
            id=event_id,
            action=_ACTIONS[action],
            video_id=videos[video],
            ts_ms=ts_ms,
            clip=clip,
            resolution=resolution,
            position=position,
            comment_id=uuid.UUID(comment) if comment else None,
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """What one POST carried: its id (the counters' dedupe key), who sent it, the events."""

    id: uuid.UUID
    viewer_id: uuid.UUID  # the user's id when signed in, else the anonymous viewer id
    signed_in: bool
    events: tuple[ActivityEvent, ...]

    def to_payload(self) -> dict[str, Any]:
        """The `activity.batch` event's payload: events as rows [client id, type, video
        number, time ms, clip, resolution, position, comment id] and the videos they number,
        a third the size of one object per event (a batch travels the bus and SQL a few
        times)."""
        videos: dict[uuid.UUID, int] = {}
        rows = [event.to_row(videos) for event in self.events]
        return {
            "batch_id": str(self.id),
            "viewer_id": str(self.viewer_id),
            "signed_in": self.signed_in,
            "videos": [str(video) for video in videos],
            "events": rows,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Batch:
        videos = [uuid.UUID(video) for video in data["videos"]]
        return cls(
            id=uuid.UUID(data["batch_id"]),
            viewer_id=uuid.UUID(data["viewer_id"]),
            signed_in=bool(data["signed_in"]),
            events=tuple(ActivityEvent.from_row(row, videos) for row in data["events"]),
        )


@dataclass(frozen=True, slots=True)
class VideoFacts:
    duration: float | None
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class History:
    """One viewer's state on one video (the `watch_history` row)."""

    signed_in: bool
    last_watched_ms: int | None = None
    position: float | None = None
    position_stamp: Stamp | None = None
    progress: float = 0.0
    watch_count: int = 0
    reaction: Reaction = Reaction.NONE
    reaction_stamp: Stamp | None = None
    cleared_ms: int = 0  # watch events at or before this time were erased by the viewer


@dataclass(slots=True)
class Window:
    """Clips one viewer reached on one video in one clock hour, and whether it made a view."""

    clips: int = 0  # bit set of clip indices
    counted: bool = False


@dataclass(slots=True)
class CommentReaction:
    video_id: uuid.UUID
    reaction: Reaction = Reaction.NONE
    stamp: Stamp | None = None


@dataclass(frozen=True, slots=True)
class Effect:
    """What one event changed in the counters (kept in the activity log, for rebuilds)."""

    views: int = 0
    reached: int = 0
    watch_ms: int = 0
    likes: int = 0
    dislikes: int = 0


NO_EFFECT = Effect()


@dataclass(frozen=True, slots=True)
class Logged:
    batch: Batch
    event: ActivityEvent
    effect: Effect


@dataclass(frozen=True)
class Keys:
    """The state rows a set of batches touches."""

    videos: set[uuid.UUID]
    history: set[HistoryKey]
    windows: set[WindowKey]
    reactions: dict[ReactionKey, uuid.UUID]  # → the comment's video


def keys_of(batches: list[Batch]) -> Keys:
    keys = Keys(set(), set(), set(), {})
    for batch in batches:
        for event in batch.events:
            keys.videos.add(event.video_id)
            if event.comment_id is not None:
                keys.reactions[(batch.viewer_id, event.comment_id)] = event.video_id
                continue
            keys.history.add((batch.viewer_id, event.video_id))
            if event.action is Action.CLIP_VIEW:
                hour = rules.hour_of(event.ts_ms)
                keys.windows.add((batch.viewer_id, event.video_id, hour))
    return keys


@dataclass
class Fold:
    """State loaded for some batches, changed in place as each batch is folded in."""

    facts: dict[uuid.UUID, VideoFacts]
    history: dict[HistoryKey, History]
    windows: dict[WindowKey, Window]
    reactions: dict[ReactionKey, CommentReaction]
    clip_seconds: int
    logged: list[Logged] = field(default_factory=list)
    changed_history: set[HistoryKey] = field(default_factory=set)
    changed_windows: set[WindowKey] = field(default_factory=set)
    changed_reactions: set[ReactionKey] = field(default_factory=set)

    def batch(self, batch: Batch) -> CounterDeltas:
        """Fold one batch in; returns its counter increments. Events of videos that no longer
        exist are dropped. Each video's events are folded together (their state is the
        viewer's on that video alone, so the order between videos does not matter)."""
        deltas = CounterDeltas()
        by_video: dict[uuid.UUID, list[ActivityEvent]] = {}
        for event in batch.events:
            events = by_video.get(event.video_id)
            if events is None:
                by_video[event.video_id] = [event]
            else:
                events.append(event)
        for video_id, events in by_video.items():
            facts = self.facts.get(video_id)
            if facts is not None:
                _Run(self, batch, video_id, facts, deltas).run(events)
        return deltas

    def copy(self) -> Fold:
        """An independent copy (read-your-writes folds pending batches without touching SQL)."""
        return Fold(
            facts=self.facts,
            history={k: replace(v) for k, v in self.history.items()},
            windows={k: replace(v) for k, v in self.windows.items()},
            reactions={k: replace(v) for k, v in self.reactions.items()},
            clip_seconds=self.clip_seconds,
        )


class _Run:
    """One batch's events on one video: its state looked up once, its counts summed here and
    added to the batch's increments at the end (the hot path of the consumer)."""

    def __init__(
        self,
        state: Fold,
        batch: Batch,
        video_id: uuid.UUID,
        facts: VideoFacts,
        deltas: CounterDeltas,
    ) -> None:
        self.state, self.batch, self.video_id, self.facts = state, batch, video_id, facts
        self.deltas = deltas
        self.duration = facts.duration or 0.0
        self.clips = rules.clip_count(self.duration, state.clip_seconds)
        self.threshold = rules.view_threshold(self.clips)
        self.windows: dict[int, Window] = {}
        self.reached: Counter[int] = Counter()  # clip -> viewers reaching it
        self.hour_views: Counter[int] = Counter()
        self.watch_ms = 0
        self._history: History | None = None

    def run(self, events: list[ActivityEvent]) -> None:
        logged = self.state.logged
        for event in events:
            logged.append(Logged(self.batch, event, self._event(event)))
        self._add_counts()

    def _event(self, event: ActivityEvent) -> Effect:
        if event.comment_id is not None:
            return self._comment(event)
        if event.action is Action.CLIP_VIEW:
            return self._clip_view(event)
        if event.action is Action.PAGE_LEAVE:
            self._watched(event, event.position or 0.0, views=0)
            return NO_EFFECT
        return self._react(event)

    @property
    def history(self) -> History:
        if self._history is None:
            key = (self.batch.viewer_id, self.video_id)
            self.state.changed_history.add(key)
            found = self.state.history.get(key)
            if found is None:
                found = self.state.history[key] = History(signed_in=self.batch.signed_in)
            # A viewer id is a user's or an anonymous one for good; a placeholder row made
            # before the fold does not know which.
            found.signed_in = self.batch.signed_in
            self._history = found
        return self._history

    def _window(self, hour: int) -> Window:
        window = self.windows.get(hour)
        if window is None:
            key = (self.batch.viewer_id, self.video_id, hour)
            window = self.state.windows.get(key)
            if window is None:
                window = self.state.windows[key] = Window()
            self.windows[hour] = window
        return window

    def _clip_view(self, event: ActivityEvent) -> Effect:
        clip = event.clip
        assert clip is not None
        if clip >= self.clips:
            return NO_EFFECT
        hour = event.ts_ms // rules.HOUR_MS
        window = self._window(hour)
        if window.clips >> clip & 1:
            self._watched(event, clip * self.state.clip_seconds, views=0)
            return NO_EFFECT
        window.clips |= 1 << clip
        self.state.changed_windows.add((self.batch.viewer_id, self.video_id, hour))
        views = 0
        if not window.counted and window.clips.bit_count() >= self.threshold:
            window.counted, views = True, 1
            self.hour_views[hour] += 1
        watch_ms = rules.clip_ms(clip, self.duration, self.state.clip_seconds)
        self.reached[clip] += 1
        self.watch_ms += watch_ms
        self._watched(event, clip * self.state.clip_seconds, views=views)
        return Effect(views=views, reached=1, watch_ms=watch_ms)

    def _watched(self, event: ActivityEvent, position: float, views: int) -> None:
        history = self.history
        if event.ts_ms <= history.cleared_ms:
            return
        if history.last_watched_ms is None or event.ts_ms > history.last_watched_ms:
            history.last_watched_ms = event.ts_ms
        history.watch_count += views
        stamp = (event.ts_ms, event.id)
        if history.position_stamp is None or stamp > history.position_stamp:
            history.position, history.position_stamp = position, stamp
            history.progress = rules.progress(position, self.duration)

    def _react(self, event: ActivityEvent) -> Effect:
        history = self.history
        if not rules.wins(event.stamp, history.reaction_stamp):
            return NO_EFFECT
        new = rules.reaction_of(event.action)
        likes, dislikes = rules.reaction_delta(history.reaction, new)
        history.reaction, history.reaction_stamp = new, event.stamp
        videos = self.deltas.videos
        videos[(self.video_id, "likes")] += likes
        videos[(self.video_id, "dislikes")] += dislikes
        if likes:
            hour = rules.hour_of(event.ts_ms)
            for scope in rules.hot_scopes(list(self.facts.tags)):
                self.deltas.hot[(scope, hour, self.video_id)] += rules.HOT_LIKE * likes
        return Effect(likes=likes, dislikes=dislikes)

    def _comment(self, event: ActivityEvent) -> Effect:
        comment = event.comment_id
        assert comment is not None
        key = (self.batch.viewer_id, comment)
        state = self.state.reactions.get(key)
        if state is None:
            state = self.state.reactions[key] = CommentReaction(video_id=self.video_id)
        if not rules.wins(event.stamp, state.stamp):
            return NO_EFFECT
        new = rules.reaction_of(event.action)
        likes, dislikes = rules.reaction_delta(state.reaction, new)
        state.reaction, state.stamp = new, event.stamp
        self.state.changed_reactions.add(key)
        self.deltas.comments[(state.video_id, comment, "likes")] += likes
        self.deltas.comments[(state.video_id, comment, "dislikes")] += dislikes
        return Effect(likes=likes, dislikes=dislikes)

    def _add_counts(self) -> None:
        d, video = self.deltas, self.video_id
        if self.watch_ms:
            d.videos[(video, "watch_ms")] += self.watch_ms
        for clip, n in self.reached.items():
            d.clips[(video, clip)] += n
        scopes = rules.hot_scopes(list(self.facts.tags))
        for hour, n in self.hour_views.items():
            d.videos[(video, "views")] += n
            d.hours[(video, hour)] += n
            for scope in scopes:
                d.hot[(scope, hour, video)] += rules.HOT_VIEW * n
