"""Upkeep and commands: increments left by a dead-lettered event are applied; days past
retention are rolled up and dropped without changing any rebuilt count; the log exports as
CSV; `clipcast counters rebuild` and `clipcast activity export` run from the shell."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from clipcast.activity import service
from clipcast.activity.export import COLUMNS, export_csv
from clipcast.activity.models import (
    ActivityLog,
    PendingBatch,
    PendingDeltas,
    ViewWindow,
    WatchHistory,
)
from clipcast.activity.partitions import drop_before, partition_name
from clipcast.activity.rebuild import rebuild_counters
from clipcast.activity.upkeep import upkeep
from clipcast.adapters.counters.base import CounterDeltas, CounterTotals
from clipcast.bootstrap import Adapters
from clipcast.core.clock import utcnow
from tests.integration.activity.conftest import (
    HandBus,
    Person,
    clip_views,
    make_video,
    now_ms,
    post,
    reaction,
)

CLIPCAST = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"


class DeadCounters:
    """A counters store that is down for as long as the bus keeps trying."""

    async def apply_many(self, batches: Mapping[uuid.UUID, CounterDeltas]) -> set[uuid.UUID]:
        raise ConnectionError(f"Redis is down; {len(batches)} batch(es) wait")


async def _count(adapters: Adapters, model: type) -> int:
    async with adapters.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_increments_left_by_a_dead_lettered_event_are_applied_once(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    await post(client, [*clip_views(video, [0, 1]), reaction(video, "like", "l")], viewer.headers)
    events = await bus.take()
    for _ in range(5):  # every delivery the bus allows, then a dead letter
        with pytest.raises(ConnectionError):
            await service.apply_batches(
                events,
                sessions=adapters.sessions,
                counters=DeadCounters(),  # type: ignore[arg-type]
                partitions=bus.partitions,
                clip_seconds=2,
            )
    assert await _count(adapters, PendingDeltas) == 1
    later = utcnow() + timedelta(minutes=11)
    for _ in range(2):  # two rounds (or two workers' upkeeps): applied once
        await upkeep(
            adapters.sessions, adapters.counters, bus.partitions, now=later, retention_days=0
        )
    counts = (await adapters.counters.snapshot([video], [])).videos[video]
    assert (counts.views, counts.likes) == (1, 1)
    assert await _count(adapters, PendingDeltas) == 0
    assert await _count(adapters, PendingBatch) == 0


async def test_days_past_retention_roll_up_and_rebuilds_still_agree(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    yesterday = now_ms() - 20 * 3_600_000
    old = [{**e, "ts": yesterday + i} for i, e in enumerate(clip_views(video, [0, 1], prefix="o"))]
    await post(client, old, viewer.headers)
    await post(client, clip_views(video, [0, 1, 2], prefix="n"))
    await bus.drain()
    snapshot = (await adapters.counters.snapshot([video], [])).videos[video]
    before = (snapshot, await adapters.counters.clip_views(video))
    assert before[0].views == 2
    first_kept = (utcnow() + timedelta(days=1)).date()
    await drop_before(adapters.sessions, first_kept)
    assert await _count(adapters, ActivityLog) == 0
    async with adapters.sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            names = await session.scalars(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'activity'::regclass"
                )
            )
            assert all(name >= partition_name(first_kept) for name in names)
    await adapters.counters.replace_all(CounterTotals(), set())
    await rebuild_counters(sessions=adapters.sessions, counters=adapters.counters, now=utcnow())
    snapshot = (await adapters.counters.snapshot([video], [])).videos[video]
    assert (snapshot, await adapters.counters.clip_views(video)) == before


async def test_the_log_exports_as_csv_oldest_first(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    like = reaction(video, "like", "l", ts=now_ms() + 100)
    await post(client, [*clip_views(video, [0, 1]), like], viewer.headers)
    await bus.drain()
    out = io.StringIO()
    count = await export_csv(
        sessions=adapters.sessions, since=utcnow() - timedelta(hours=1), until=None, out=out
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 3
    assert tuple(rows[0]) == COLUMNS
    assert [r["action"] for r in rows] == ["clip_view", "clip_view", "like"]
    assert [r["views"] for r in rows] == ["0", "1", "0"]
    assert rows[2]["likes"] == "1"
    assert {r["viewer_id"] for r in rows} == {str(viewer.id)}
    assert rows == sorted(rows, key=lambda r: r["ts"])
    empty = io.StringIO()
    later = utcnow() + timedelta(minutes=1)
    assert await export_csv(sessions=adapters.sessions, since=later, until=None, out=empty) == 0


def _cli(adapters: Adapters, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLIPCAST_DATABASE_URL": adapters.settings.resolved_database_url(),
        "CLIPCAST_DATA_DIR": str(adapters.settings.data_dir),
        "CLIPCAST_REDIS_URL": adapters.settings.redis_url,
    }
    return subprocess.run(
        [CLIPCAST, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_rebuild_and_export_from_the_shell(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    await post(client, [*clip_views(video, [0, 1]), reaction(video, "like", "l")], viewer.headers)
    await bus.drain()
    await adapters.counters.replace_all(CounterTotals(), set())
    rebuilt = _cli(adapters, "counters", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "1 video(s)" in rebuilt.stdout
    counts = (await adapters.counters.snapshot([video], [])).videos[video]
    assert (counts.views, counts.likes, counts.watch_ms) == (1, 1, 4000)
    since = (utcnow() - timedelta(hours=1)).isoformat()
    exported = _cli(adapters, "activity", "export", "--since", since)
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.strip().splitlines()) == 4  # header + 3 events
    assert "3 event(s) exported" in exported.stderr
    refused = _cli(adapters, "activity", "export", "--since", "last tuesday")
    assert refused.returncode == 2


async def test_anonymous_resume_points_are_forgotten_after_a_month(
    client: httpx.AsyncClient, adapters: Adapters, owner: Person, viewer: Person, bus: HandBus
) -> None:
    video = await make_video(adapters, owner)
    await post(client, clip_views(video, [0, 1], prefix="anon"))
    await post(client, clip_views(video, [0, 1], prefix="user"), viewer.headers)
    await bus.drain()
    assert await _count(adapters, WatchHistory) == 2
    await upkeep(
        adapters.sessions,
        adapters.counters,
        bus.partitions,
        now=utcnow() + timedelta(days=31),
        retention_days=0,
    )
    async with adapters.sessions() as session:
        kept = list(await session.scalars(select(WatchHistory.viewer_id)))
    assert kept == [viewer.id]
    assert await _count(adapters, ViewWindow) == 0
    assert (await adapters.counters.snapshot([video], [])).videos[video].views == 2
