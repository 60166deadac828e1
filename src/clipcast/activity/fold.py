"""Folding activity batches into viewer state and counter increments (pure).

The bus consumer loads the state a batch touches (history rows, hourly view windows, comment
reactions), folds the batch in with `Fold.batch`, writes the changed state back and applies the
returned increments under the batch's id. Read-your-writes runs the same fold over a caller's
own batches not yet applied, on a copy of their state, to see what those batches will add.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from clipcast.activity import rules
from clipcast.activity.rules import Action, Reaction, Stamp
from clipcast.adapters.counters.base import CounterDeltas

HistoryKey = tuple[uuid.UUID, uuid.UUID]  # (viewer, video)
WindowKey = tuple[uuid.UUID, uuid.UUID, int]  # (viewer, video, hour)
ReactionKey = tuple[uuid.UUID, uuid.UUID]  # (user, comment)


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

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": str(self.action)}
        out["video_id"], out["ts"] = str(self.video_id), self.ts_ms
        for name in ("clip", "resolution", "position"):
            if (value := getattr(self, name)) is not None:
                out[name] = value
        if self.comment_id is not None:
            out["comment_id"] = str(self.comment_id)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ActivityEvent:
        comment = data.get("comment_id")
        return cls(
            id=data["id"],
            action=Action(data["type"]),
            video_id=uuid.UUID(data["video_id"]),
            ts_ms=int(data["ts"]),
            clip=data.get("clip"),
            resolution=data.get("resolution"),
            position=data.get("position"),
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
        return {
            "batch_id": str(self.id),
            "viewer_id": str(self.viewer_id),
            "signed_in": self.signed_in,
            "events": [event.to_json() for event in self.events],
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Batch:
        return cls(
            id=uuid.UUID(data["batch_id"]),
            viewer_id=uuid.UUID(data["viewer_id"]),
            signed_in=bool(data["signed_in"]),
            events=tuple(ActivityEvent.from_json(e) for e in data["events"]),
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
        exist are dropped."""
        deltas = CounterDeltas()
        for event in batch.events:
            facts = self.facts.get(event.video_id)
            if facts is None:
                continue
            effect = self._event(batch, event, facts, deltas)
            self.logged.append(Logged(batch, event, effect))
        return deltas

    def _event(
        self, batch: Batch, event: ActivityEvent, facts: VideoFacts, deltas: CounterDeltas
    ) -> Effect:
        if event.comment_id is not None:
            return self._comment(batch, event, deltas)
        if event.action is Action.CLIP_VIEW:
            return self._clip_view(batch, event, facts, deltas)
        if event.action is Action.PAGE_LEAVE:
            self._watched(batch, event, facts, event.position or 0.0, views=0)
            return NO_EFFECT
        return self._react(batch, event, facts, deltas)

    def _history(self, batch: Batch, video_id: uuid.UUID) -> History:
        key = (batch.viewer_id, video_id)
        self.changed_history.add(key)
        return self.history.setdefault(key, History(signed_in=batch.signed_in))

    def _clip_view(
        self, batch: Batch, event: ActivityEvent, facts: VideoFacts, deltas: CounterDeltas
    ) -> Effect:
        assert event.clip is not None
        duration = facts.duration or 0.0
        clips = rules.clip_count(duration, self.clip_seconds)
        if event.clip >= clips:
            return NO_EFFECT
        hour = rules.hour_of(event.ts_ms)
        key = (batch.viewer_id, event.video_id, hour)
        window = self.windows.setdefault(key, Window())
        threshold = rules.view_threshold(clips)
        effect = _reach(window, event.clip, threshold, duration, self.clip_seconds)
        if effect.reached:
            self.changed_windows.add(key)
        _count(deltas, (event.video_id, event.clip, hour), effect, facts)
        self._watched(batch, event, facts, event.clip * self.clip_seconds, views=effect.views)
        return effect

    def _watched(
        self, batch: Batch, event: ActivityEvent, facts: VideoFacts, position: float, views: int
    ) -> None:
        history = self._history(batch, event.video_id)
        if event.ts_ms <= history.cleared_ms:
            return
        history.last_watched_ms = max(history.last_watched_ms or 0, event.ts_ms)
        history.watch_count += views
        if rules.wins(event.stamp, history.position_stamp):
            history.position, history.position_stamp = position, event.stamp
            history.progress = rules.progress(position, facts.duration or 0.0)

    def _react(
        self, batch: Batch, event: ActivityEvent, facts: VideoFacts, deltas: CounterDeltas
    ) -> Effect:
        history = self._history(batch, event.video_id)
        if not rules.wins(event.stamp, history.reaction_stamp):
            return NO_EFFECT
        new = rules.reaction_of(event.action)
        likes, dislikes = rules.reaction_delta(history.reaction, new)
        history.reaction, history.reaction_stamp = new, event.stamp
        deltas.videos[(event.video_id, "likes")] += likes
        deltas.videos[(event.video_id, "dislikes")] += dislikes
        if likes:
            hour = rules.hour_of(event.ts_ms)
            for scope in rules.hot_scopes(list(facts.tags)):
                deltas.hot[(scope, hour, event.video_id)] += rules.HOT_LIKE * likes
        return Effect(likes=likes, dislikes=dislikes)

    def _comment(self, batch: Batch, event: ActivityEvent, deltas: CounterDeltas) -> Effect:
        assert event.comment_id is not None
        key = (batch.viewer_id, event.comment_id)
        state = self.reactions.setdefault(key, CommentReaction(video_id=event.video_id))
        if not rules.wins(event.stamp, state.stamp):
            return NO_EFFECT
        new = rules.reaction_of(event.action)
        likes, dislikes = rules.reaction_delta(state.reaction, new)
        state.reaction, state.stamp = new, event.stamp
        self.changed_reactions.add(key)
        deltas.comments[(state.video_id, event.comment_id, "likes")] += likes
        deltas.comments[(state.video_id, event.comment_id, "dislikes")] += dislikes
        return Effect(likes=likes, dislikes=dislikes)

    def copy(self) -> Fold:
        """An independent copy (read-your-writes folds pending batches without touching SQL)."""
        return Fold(
            facts=self.facts,
            history={k: replace(v) for k, v in self.history.items()},
            windows={k: replace(v) for k, v in self.windows.items()},
            reactions={k: replace(v) for k, v in self.reactions.items()},
            clip_seconds=self.clip_seconds,
        )


def _reach(window: Window, clip: int, threshold: int, duration: float, clip_seconds: int) -> Effect:
    if rules.has_clip(window.clips, clip):
        return NO_EFFECT
    window.clips = rules.with_clip(window.clips, clip)
    views = 0
    if not window.counted and window.clips.bit_count() >= threshold:
        window.counted, views = True, 1
    watch_ms = rules.clip_ms(clip, duration, clip_seconds)
    return Effect(views=views, reached=1, watch_ms=watch_ms)


def _count(
    deltas: CounterDeltas, where: tuple[uuid.UUID, int, int], effect: Effect, facts: VideoFacts
) -> None:
    video_id, clip, hour = where
    if not effect.reached:
        return
    deltas.clips[(video_id, clip)] += 1
    deltas.videos[(video_id, "watch_ms")] += effect.watch_ms
    if not effect.views:
        return
    deltas.videos[(video_id, "views")] += 1
    deltas.hours[(video_id, hour)] += 1
    for scope in rules.hot_scopes(list(facts.tags)):
        deltas.hot[(scope, hour, video_id)] += rules.HOT_VIEW
