"""Bus throughput: outbox → relay → NATS JetStream → idempotent consumer, beside raw nats-py.

Both runs move the same number of events through the shared NATS server (127.0.0.1:4222) with
the same layout: a producing process and a consuming process (2 members), timed from the
start to the last event handled, and with the same windows (1,024 publishes in flight,
fetches of 256).

- clipcast: `run_relay` (PostgreSQL outbox, batches of 1,024, marked only after the acks)
  publishes through `NatsBus`; the consumer process takes batches through
  `NatsBus.subscribe_batches` and applies them with `handle_batch_once` on PostgreSQL: one
  transaction records the event ids and inserts one row per event, and the batch is acked
  only after that commit. Two scenarios: "live", where the producer commits events (100 per
  transaction, as services would with their state changes) while the relay runs, and
  "backlog", where they were committed before the clock starts (draining after an outage).
  Afterwards the table must hold every event exactly once and the outbox be fully marked.
- raw: nats-py `publish_async` with acks gathered per window, and a pull consumer that
  decodes and acks each message; no database.

    .venv/bin/python bench/bus.py [--events 20000] [--members 2]

Goal (issue 3): ≥ 5,000 events/s and ≥ 25 % of raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clipcast.adapters.bus.base import Event
from clipcast.adapters.bus.nats import NatsBus
from clipcast.core.clock import utcnow
from clipcast.db.migrate import upgrade
from clipcast.db.session import make_engine, make_sessionmaker
from clipcast.events.dedupe import handle_batch_once
from clipcast.events.relay import outbox_lag, run_relay
from clipcast.outbox.repository import add_event

NATS_URL = "nats://127.0.0.1:4222"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TOPIC = "video.viewed"
WINDOW = 1024  # publishes in flight, relay and raw alike
BATCH = 256  # events per consumer fetch, relay and raw alike
PRODUCER_TX = 100
Sessions = async_sessionmaker[AsyncSession]


# --- raw nats-py -------------------------------------------------------------------------


async def raw_producer(prefix: str, count: int) -> None:
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    pending = []
    for n in range(count):
        body = {"id": str(uuid.uuid4()), "topic": TOPIC, "payload": {"n": n}, "created_at": ""}
        headers = {"Nats-Msg-Id": body["id"]}
        pending.append(
            await js.publish_async(
                f"{prefix}.events.{TOPIC}", json.dumps(body).encode(), headers=headers
            )
        )
        if len(pending) >= WINDOW:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    await nc.close()


async def raw_consumer(prefix: str, count: int) -> None:
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    pull = await js.pull_subscribe_bind(durable="bench", stream=f"{prefix}_EVENTS")
    print("ready", flush=True)
    seen = 0
    while seen < count:
        try:
            msgs = await pull.fetch(BATCH, timeout=1)
        except nats.errors.TimeoutError:
            continue
        for msg in msgs:
            json.loads(msg.data)
            await msg.ack()
            seen += 1
    print(f"done {time.time()} {seen}", flush=True)
    await nc.close()


async def raw_streams(prefix: str, *, delete: bool = False) -> None:
    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    if delete:
        await js.delete_stream(f"{prefix}_EVENTS")
    else:
        subjects = [f"{prefix}.events.>"]
        await js.add_stream(
            StreamConfig(name=f"{prefix}_EVENTS", subjects=subjects, storage=StorageType.FILE)
        )
        config = ConsumerConfig(
            name="bench",
            durable_name="bench",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
        )
        await js.add_consumer(f"{prefix}_EVENTS", config)
    await nc.close()


# --- clipcast ----------------------------------------------------------------------------


async def commit_events(sessions: Sessions, count: int) -> None:
    """What services do: each transaction commits state changes with their events."""
    for first in range(0, count, PRODUCER_TX):
        async with sessions() as session, session.begin():
            for n in range(first, min(first + PRODUCER_TX, count)):
                add_event(session, TOPIC, {"video": n % 1000, "n": n}, utcnow())


async def clipcast_producer(db_url: str, prefix: str, count: int, *, live: bool) -> float:
    """Relay the outbox to NATS; with `live`, commit the events meanwhile. Returns when the
    relay had marked the last row, in seconds after the start."""
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    bus = NatsBus(NATS_URL, prefix=prefix)
    await bus.check()  # connected before the clock starts, as in a running process
    stop = asyncio.Event()
    started = time.perf_counter()
    relay = asyncio.create_task(
        run_relay(sessions, bus, stop=stop, idle_seconds=0.02, batch=WINDOW, window=WINDOW)
    )
    if live:
        await commit_events(sessions, count)
    while True:  # the relay marks rows only after NATS acked them
        unpublished, _ = await outbox_lag(sessions)
        if not unpublished:
            break
        await asyncio.sleep(0.02)
    relayed = time.perf_counter() - started
    stop.set()
    await relay
    await bus.close()
    await engine.dispose()
    return relayed


async def clipcast_consumer(db_url: str, prefix: str, count: int, members: int) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    bus = NatsBus(NATS_URL, prefix=prefix)
    applied = 0
    finished = asyncio.Event()

    async def work(session: AsyncSession, events: list[Event]) -> None:
        nonlocal applied
        rows = [{"id": e.id, "video": e.payload["video"]} for e in events]
        await session.execute(
            text("INSERT INTO bench_applied (id, video) VALUES (:id, :video)"), rows
        )
        applied += len(events)  # counted before commit: checked against the table at the end

    async def handler(events: list[Event]) -> set[uuid.UUID]:
        failed = await handle_batch_once(sessions, "bench", events, work)
        if applied >= count:
            finished.set()
        return failed

    for _ in range(members):
        await bus.subscribe_batches("bench", [TOPIC], handler, max_batch=BATCH, ack_wait_seconds=30)
    print("ready", flush=True)
    await finished.wait()
    print(f"done {time.time()} {applied}", flush=True)
    await bus.close()
    await engine.dispose()


# --- orchestration -----------------------------------------------------------------------


async def consume_in_child(args: list[str]) -> asyncio.subprocess.Process:
    """Start a consumer process; returns once it has subscribed."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    line = (await child.stdout.readline()).decode().strip()
    if line != "ready":
        raise RuntimeError(f"consumer failed to start: {line!r}")
    return child


async def finished_at(child: asyncio.subprocess.Process, count: int) -> float:
    """The wall time at which the consumer had handled `count` events."""
    assert child.stdout is not None
    line = (await child.stdout.readline()).decode().split()
    await child.wait()
    if len(line) != 3 or line[0] != "done" or int(line[2]) != count:
        raise RuntimeError(f"consumer did not finish: {line}")
    return float(line[1])


async def run_raw(count: int) -> float:
    prefix = f"rawbench{uuid.uuid4().hex[:8]}"
    await raw_streams(prefix)
    try:
        args = ["--role", "raw-consumer", "--prefix", prefix, "--events", str(count)]
        child = await consume_in_child(args)
        start = time.time()
        await raw_producer(prefix, count)
        return count / (await finished_at(child, count) - start)
    finally:
        await raw_streams(prefix, delete=True)


async def run_clipcast(db_url: str, count: int, members: int, *, live: bool) -> tuple[float, float]:
    """Events/s end to end, and events/s through the relay alone."""
    prefix = f"ccbench{uuid.uuid4().hex[:8]}"
    setup = NatsBus(NATS_URL, prefix=prefix)
    await setup.check()  # creates the streams
    try:
        await reset(db_url)
        if not live:  # a backlog, as after an outage: committed before the clock starts
            engine = make_engine(db_url)
            await commit_events(make_sessionmaker(engine), count)
            await engine.dispose()
        role = ["--role", "clipcast-consumer", "--prefix", prefix, "--events", str(count)]
        child = await consume_in_child([*role, "--db", db_url, "--members", str(members)])
        start = time.time()
        relayed = await clipcast_producer(db_url, prefix, count, live=live)
        end = await finished_at(child, count)
        await verify(db_url, count)
        return count / (end - start), count / relayed
    finally:
        await setup.delete_streams()
        await setup.close()


async def reset(db_url: str) -> None:
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE IF NOT EXISTS bench_applied (id uuid PRIMARY KEY, video int)")
        )
        await conn.execute(text("TRUNCATE outbox, processed_events, bench_applied"))
    await engine.dispose()


async def verify(db_url: str, count: int) -> None:
    """Every event applied exactly once, and the outbox fully marked."""
    engine = create_async_engine(db_url)
    async with engine.connect() as conn:
        applied = await conn.scalar(text("SELECT count(*) FROM bench_applied"))
        distinct = await conn.scalar(text("SELECT count(DISTINCT id) FROM bench_applied"))
        unmarked = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    await engine.dispose()
    if not applied == distinct == count or unmarked:
        raise RuntimeError(f"applied {applied}, distinct {distinct}, unmarked {unmarked}")


async def admin(sql: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--members", type=int, default=2)
    parser.add_argument("--role", choices=["raw-consumer", "clipcast-consumer"])
    parser.add_argument("--prefix")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.role == "raw-consumer":
        asyncio.run(raw_consumer(args.prefix, args.events))
        return
    if args.role == "clipcast-consumer":
        asyncio.run(clipcast_consumer(args.db, args.prefix, args.events, args.members))
        return

    name = f"clipcast_bench_bus_{os.getpid()}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    db_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(db_url)
        raw = asyncio.run(run_raw(args.events))
        live = asyncio.run(run_clipcast(db_url, args.events, args.members, live=True))
        backlog = asyncio.run(run_clipcast(db_url, args.events, args.members, live=False))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    report(args, raw, live, backlog)


def report(
    args: argparse.Namespace, raw: float, live: tuple[float, float], backlog: tuple[float, float]
) -> None:
    load = os.getloadavg()[0]
    print(
        f"{args.events} events, {args.members} consumer members, 1-min load {load:.1f} on 2 cores"
    )
    print(f"  raw nats-py publish → consume                   {raw:>7,.0f} events/s")
    for name, (ours, relay) in (("live (producer committing)", live), ("backlog drain", backlog)):
        print(
            f"  clipcast {name:<27} {ours:>7,.0f} events/s  "
            f"{ours / raw:>4.0%} of raw  (relay alone {relay:,.0f}/s)"
        )
    print("  goal: ≥ 5,000 events/s and ≥ 25 % of raw; consumer dedupe on PostgreSQL")


if __name__ == "__main__":
    main()
