"""Use cases of recommendations that write: a video's system tags, the batch refresh (trained
in a child process), one user's refresh with the stored model, and the debounce of refreshes
after activity."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.activity.reads import hot_videos
from clipcast.adapters.counters.base import Counters
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.recommendations import pipeline
from clipcast.recommendations import repository as repo
from clipcast.recommendations.collaborative import CollabModel
from clipcast.recommendations.models import RecsModel, UserTagRow, VideoTagRow
from clipcast.recommendations.pipeline import Inputs, Outputs
from clipcast.recommendations.tags import TagSource, VideoFacts, carried_over, video_tags
from clipcast.videos.lifecycle import VideoState
from clipcast.videos.models import Video

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")

MODEL_PREFIX = "recs/models/"
MODELS_KEPT = 2
# The all-time count of viewers is a floor under the hot score, so a site with no views in
# the hot window still has an order of popularity.
WATCHERS_WEIGHT = 0.05
CARRIED_NEIGHBOURS = 5
CARRIED_PER_VIDEO = 3
DUE_PER_ROUND = 50
# From this many watch rows on, the batch refresh trains in a child process.
CHILD_PROCESS_ROWS = 20_000


@dataclass(frozen=True)
class RecsConfig:
    debounce_seconds: float = 5.0
    max_wait_seconds: float = 60.0
    refresh_seconds: float = 1800.0
    settings: pipeline.Settings = field(default_factory=pipeline.Settings)

    @classmethod
    def from_settings(cls, settings: Any) -> RecsConfig:
        return cls(
            debounce_seconds=settings.recs_debounce_seconds,
            max_wait_seconds=settings.recs_max_wait_seconds,
            refresh_seconds=settings.recs_refresh_minutes * 60,
            settings=pipeline.Settings(
                model_items=settings.recs_model_items, model_users=settings.recs_model_users
            ),
        )


async def tag_video(*, sessions: Sessions, video_id: uuid.UUID) -> int:
    """(Re)make a ready video's system tags from its title, description, owner tags and
    length; carried-over tags are the batch refresh's. Returns how many it has."""
    async with sessions() as session:
        video = await session.get(Video, video_id)
        if video is None or video.state != VideoState.READY:
            return 0
        facts = VideoFacts(video.title, video.description, list(video.tags or []), video.duration)
    # YAKE is CPU work (a few ms a video): off the event loop.
    made = await asyncio.to_thread(video_tags, facts)
    own = [t for t in made if t.source is not TagSource.CARRIED]
    async with sessions.begin() as session:
        await repo.replace_tags(session, video_id, own, carried=False)
    return len(own)


async def _inputs(
    sessions: Sessions,
    counters: Counters,
    *,
    user_ids: Sequence[uuid.UUID] | None,
    now: datetime,
    config: RecsConfig,
) -> Inputs:
    async with sessions() as session:
        videos = await repo.catalogue(session)
        tags = await repo.tags_of(session)
        watches = await repo.watches(session, user_ids)
        grants = await repo.grants(session, user_ids)
        edits = await repo.edits(session, user_ids)
        watchers = await repo.watcher_counts(session)
    hot = dict(await hot_videos(counters=counters, now=now, limit=max(len(videos), 1)))
    popularity = {
        v.id: hot.get(v.id, 0.0) + WATCHERS_WEIGHT * watchers.get(v.id, 0) for v in videos
    }
    users = user_ids if user_ids is not None else sorted({w.user_id for w in watches} | set(edits))
    return Inputs(
        videos=videos,
        video_tags=tags,
        watches=watches,
        user_ids=list(users),
        grants=grants,
        edits=edits,
        popularity=popularity,
        now=now,
        settings=config.settings,
    )


async def _in_child(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU-heavy work in a fresh child process (spawned: no copy of the parent's
    threads and connections), so neither the event loop nor the GIL of the API is held."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await loop.run_in_executor(pool, fn, *args)


async def refresh_all(
    *,
    sessions: Sessions,
    counters: Counters,
    storage: ObjectStorage,
    config: RecsConfig,
    now: datetime,
) -> dict[str, float]:
    """Train a new model, rank every user with history or tags, store lists, taste tags,
    up next, carried-over tags and the model (its arrays in object storage)."""
    clock = time.perf_counter()
    inputs = await _inputs(sessions, counters, user_ids=None, now=now, config=config)
    read = time.perf_counter() - clock
    if len(inputs.watches) >= CHILD_PROCESS_ROWS:
        out = await _in_child(pipeline.refresh_all, inputs)
    else:  # a small site: milliseconds of work, not worth a process's start-up
        out = await asyncio.to_thread(pipeline.refresh_all, inputs)
    computed = time.perf_counter() - clock - read
    params = config.settings.params.as_dict()
    version = await _store_model(sessions, storage, out, now, params)
    async with sessions.begin() as session:
        await repo.replace_taste(session, out.taste, now=now)
        await repo.replace_lists(session, out.lists, now=now, version=version)
        await repo.replace_up_next(session, out.up_next)
        await _carry_tags(session, inputs, out)
    stats = dict(out.stats)
    stats.update(read_seconds=read, compute_seconds=computed)
    stats["write_seconds"] = time.perf_counter() - clock - read - computed
    stats["version"] = float(version or 0)
    log.info("recommendations refreshed: %s", stats)
    return stats


async def _store_model(
    sessions: Sessions,
    storage: ObjectStorage,
    out: Outputs,
    now: datetime,
    params: dict[str, float],
) -> int | None:
    if not out.model:
        return None
    async with sessions.begin() as session:
        version = await repo.next_version(session)
        key = f"{MODEL_PREFIX}{version:08d}/model.npz"
        await storage.put_bytes(key, out.model, "application/octet-stream")
        session.add(
            RecsModel(
                version=version,
                trained_at=now,
                key=key,
                users=int(out.stats["users"]),
                items=int(out.stats["model_items"]),
                rows=int(out.stats["rows"]),
                params=params,
                seconds=out.stats["train_seconds"],
            )
        )
        await session.flush()
        # The one before stays: a worker may be loading it right now.
        for old in await repo.old_models(session, MODELS_KEPT):
            await storage.delete_prefix(old.key.rsplit("/", 1)[0] + "/")
            await session.delete(old)
    return version


async def _carry_tags(session: AsyncSession, inputs: Inputs, out: Outputs) -> None:
    """Each video inherits the strongest tags of the videos watched after it."""
    await session.execute(delete(VideoTagRow).where(VideoTagRow.source == TagSource.CARRIED))
    rows: list[dict[str, object]] = []
    for video, nexts in out.up_next.items():
        own = inputs.video_tags.get(video, {})
        neighbours = [(inputs.video_tags.get(n, {}), s) for n, s in nexts[:CARRIED_NEIGHBOURS]]
        carried = sorted(carried_over(neighbours).items(), key=lambda tw: (-tw[1], tw[0]))
        fresh = [(t, w) for t, w in carried if t not in own][:CARRIED_PER_VIDEO]
        rows.extend(
            {"video_id": video, "tag": t, "weight": round(w, 4), "source": TagSource.CARRIED}
            for t, w in fresh
        )
    for part in repo.chunks(rows):
        await session.execute(insert(VideoTagRow), list(part))


class ModelCache:
    """The latest stored model, loaded once per version (a worker keeps it in memory)."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.model: tuple[CollabModel, list[uuid.UUID]] | None = None

    async def get(
        self, sessions: Sessions, storage: ObjectStorage
    ) -> tuple[int | None, tuple[CollabModel, list[uuid.UUID]] | None]:
        async with sessions() as session:
            row = await repo.latest_model(session)
        if row is None:
            return None, None
        if row.version != self.version:
            blob = await storage.get_bytes(row.key)
            self.model = await asyncio.to_thread(pipeline.deserialise, blob)
            self.version = row.version
        return self.version, self.model


async def refresh_users(
    *,
    sessions: Sessions,
    counters: Counters,
    storage: ObjectStorage,
    cache: ModelCache,
    user_ids: Sequence[uuid.UUID],
    config: RecsConfig,
    now: datetime,
) -> int:
    """Remake these users' lists and taste tags with the stored model and their history as
    it is now (no training: a few milliseconds of arithmetic per user, in a thread)."""
    if not user_ids:
        return 0
    inputs = await _inputs(sessions, counters, user_ids=user_ids, now=now, config=config)
    version, stored = await cache.get(sessions, storage)
    out = await asyncio.to_thread(pipeline.refresh_some, inputs, stored)
    async with sessions.begin() as session:
        await repo.replace_taste(session, out.taste, now=now)
        await repo.replace_lists(session, out.lists, now=now, version=version)
    return len(out.lists)


async def request_refresh(
    *, sessions: Sessions, user_id: uuid.UUID, now: datetime, config: RecsConfig
) -> None:
    """Refresh this user once they have been quiet `debounce_seconds` (see run_due)."""
    due = now + timedelta(seconds=config.debounce_seconds)
    async with sessions.begin() as session:
        await repo.request_refresh(session, user_id, now=now, due=due)


async def run_due(
    *,
    sessions: Sessions,
    counters: Counters,
    storage: ObjectStorage,
    cache: ModelCache,
    config: RecsConfig,
    now: datetime,
) -> int:
    """Refresh the users whose quiet time is over, or who waited longest; returns how many."""
    started = now - timedelta(seconds=config.max_wait_seconds)
    async with sessions() as session:
        due = await repo.due_refreshes(
            session, now=now, longest_wait_started=started, limit=DUE_PER_ROUND
        )
    if not due:
        return 0
    done = await refresh_users(
        sessions=sessions,
        counters=counters,
        storage=storage,
        cache=cache,
        user_ids=[d.user_id for d in due],
        config=config,
        now=now,
    )
    async with sessions.begin() as session:
        await repo.done_refreshes(session, due)
    return done


async def edit_tag(
    *,
    sessions: Sessions,
    user_id: uuid.UUID,
    tag: str,
    muted: bool | None,
    added: bool | None,
    now: datetime,
) -> None:
    """Mute a tag ("not interested in #tag": gone from the taste tags, and its videos from
    the list at once), unmute it, or follow / unfollow it by hand; the list is remade next."""
    async with sessions.begin() as session:
        row = await session.get(UserTagRow, (user_id, tag))
        if row is None:
            row = UserTagRow(user_id=user_id, tag=tag, weight=0.0, muted=False, added=False)
            session.add(row)
        if muted is not None:
            row.muted = muted
        if added is not None:
            row.added = added
        row.weight = 0.0 if row.muted else (1.0 if row.added else row.weight)
        row.updated_at = now
        await repo.request_refresh(session, user_id, now=now, due=now)
