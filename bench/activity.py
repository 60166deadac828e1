"""Activity ingest: simulated viewers post clip views in batches through the real API into the
counters and history, beside a raw Redis pipeline HINCRBY loop measured in the same run.

Two deployments, each started fresh as child processes on loopback:

- embedded: one `clipcast serve` (SQLite, the in-process bus, SQL counters), everything in
  one process as a default install runs;
- scaled: `clipcast api` (HTTP + outbox relay) and `clipcast worker --role activity` on
  PostgreSQL, NATS JetStream (127.0.0.1:4222) and Redis (127.0.0.1:6379), each with a
  database / stream prefix / key prefix of this run's own.

Viewers are anonymous (each with a viewer cookie signed with the site's key, as the API sets
it), or with --signed-in users whose rows and tokens are seeded in SQL (no password hashing is
timed; every signed-in viewer's activity also asks the recommendations worker, which `serve`
runs, to remake their list). Each viewer posts batches of BATCH consecutive clip views of its
own long video through `POST /api/v1/activity`. Two phases, each of SECONDS:

- capacity: CONCURRENCY posters, each posting again once answered (closed loop): the most
  events/s the API takes, and how long the pipeline then needs to catch up;
- at the goal rate: a batch every BATCH / RATE seconds whatever the answers (open loop, at
  most MAX_IN_FLIGHT waiting), after the first backlog drained: events/s ingested (answered
  202; a shed batch, 429, is not sent again), API p50 / p99 at the client, and lag p50 / p99:
  a signed-in probe viewer likes and clears a 1-clip video in turn every PROBE_EVERY s, timed
  from sending to the counters store (read through the counters port every 10 ms) showing it.
- exact: after each drain the counters' watch time must equal the clips answered 202
  (every clip posted is new watch time), or the bench fails.
- clipcast's own CPU (its processes only, not PostgreSQL, NATS or Redis) per 1,000 events.

Anchor: a raw Redis pipeline of HINCRBY, as many increments as events posted, BATCH per round
trip, CONCURRENCY connections, in the same run: what the counters store itself takes.

    .venv/bin/python bench/activity.py [--seconds 30] [--batch 500] [--rate 20000]
        [--viewers 2000] [--modes embedded scaled] [--signed-in] [--keep]

Goal (issue 10): ≥ 20,000 events/s ingested (batched), API p99 < 50 ms, lag p99 < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from clipcast.accounts.models import User
from clipcast.accounts.service import TokenKind, issue_token
from clipcast.activity.viewers import VIEWER_COOKIE, sign_viewer
from clipcast.adapters.counters.base import Counters, CounterTotals
from clipcast.bootstrap import build_counters
from clipcast.core.clock import utcnow
from clipcast.db.migrate import upgrade
from clipcast.db.session import make_engine, make_sessionmaker
from clipcast.devserver import free_port
from clipcast.settings import Settings
from clipcast.videos.models import Video

REDIS_URL = "redis://127.0.0.1:6379/0"
NATS_URL = "nats://127.0.0.1:4222"
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
VIDEO_SECONDS = 3600.0  # 1,800 clips: every viewer's batches are consecutive, distinct clips
VIDEOS = 50
CONCURRENCY = 24
MAX_IN_FLIGHT = 256
PROBE_EVERY = 0.25
PROBE_GIVE_UP = 900.0  # an overloaded site drains its backlog first: a lag is still a lag
# The bench's own signing key, shared by its processes and its seeding (not a real secret).
SECRET = "bench-secret"  # noqa: S105
NO_PASSWORD = "!"  # noqa: S105
EXE = shutil.which("clipcast", path=str(Path(sys.executable).parent)) or "clipcast"


@dataclass
class Site:
    url: str
    env: dict[str, str]
    settings: Settings
    viewers: list[dict[str, str]] = field(default_factory=list)  # each viewer's auth header
    videos: list[uuid.UUID] = field(default_factory=list)
    probe_video: uuid.UUID = field(default_factory=uuid.uuid4)
    probe_token: str = ""
    pids: list[int] = field(default_factory=list)  # clipcast's own processes


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


# --- processes ------------------------------------------------------------------------


@contextlib.contextmanager
def processes(argvs: list[list[str]], env: dict[str, str], logs: Path) -> Iterator[list[int]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for n, argv in enumerate(argvs):
            log = (logs / f"proc-{n}.log").open("wb")
            procs.append(subprocess.Popen([EXE, *argv], env=env, stdout=log, stderr=log))
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_up(url: str, logs: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    tails = "".join(p.read_text()[-2000:] for p in sorted(logs.glob("*.log")))
    raise RuntimeError(f"{url} did not come up:\n{tails}")


# --- seeding -----------------------------------------------------------------------------


async def seed(site: Site, viewers: int, *, signed_in: bool) -> None:
    """Ready long videos; viewers anonymous (a viewer cookie signed with the site's key, as
    the API would have set it) or signed-in users with tokens (no password: they never log
    in), and a signed-in probe user."""
    engine = make_engine(site.settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    now = utcnow()
    owner = uuid.uuid4()
    users = [owner, *(uuid.uuid4() for _ in range(viewers + 1 if signed_in else 2))]
    async with sessions() as session, session.begin():
        for n, user in enumerate(users):
            name = f"u{n}-{user.hex[:6]}"
            # "!" is no argon2 hash: these users have tokens but can never log in.
            session.add(User(id=user, username=name, password_hash=NO_PASSWORD, created_at=now))
        site.videos = [uuid.uuid4() for _ in range(VIDEOS)]
        for video in [*site.videos, site.probe_video]:
            duration = 1.0 if video == site.probe_video else VIDEO_SECONDS
            session.add(_video(video, owner, duration, now))
    tokens = []
    for user in users[1:]:
        tokens.append(
            await issue_token(
                sessions=sessions,
                user_id=user,
                kind=TokenKind.API,
                now=now,
                ttl=timedelta(days=1),
            )
        )
    site.probe_token = tokens[0]
    if signed_in:
        site.viewers = [{"Authorization": f"Bearer {token}"} for token in tokens[1:]]
    else:
        key = SECRET.encode()
        site.viewers = [
            {"Cookie": f"{VIEWER_COOKIE}={sign_viewer(key, uuid.uuid4())}"} for _ in range(viewers)
        ]
    await engine.dispose()


def _video(video: uuid.UUID, owner: uuid.UUID, duration: float, now: object) -> Video:
    return Video(
        id=video,
        owner_id=owner,
        created_at=now,
        updated_at=now,
        title="bench",
        description="",
        filename="b.mp4",
        duration=duration,
        state="ready",
        progress=100,
        playable=True,
        visibility="public",
        tags=["bench"],
        thumbnails={},
    )


# --- load --------------------------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0  # clip views answered 202 while the clock ran
    refused: dict[int | str, int] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    probes: int = 0
    rate: float = 0.0


@dataclass
class Viewers:
    """Who posts next, and how far each viewer has watched (shared by all posters, so a
    viewer's clips never repeat: every clip posted is new watch time)."""

    queue: asyncio.Queue[int]
    steps: dict[int, int] = field(default_factory=dict)
    posted: int = 0  # clip views answered 202, warm-up included


def clip_batch(video: uuid.UUID, first: int, size: int, tag: str) -> dict[str, object]:
    ts = int(time.time() * 1000)
    events = [
        {
            "id": f"{tag}-{n}",
            "type": "clip_view",
            "video_id": str(video),
            "clip": first + n,
            "resolution": 360,
            "ts": ts,
        }
        for n in range(size)
    ]
    return {"events": events}


async def poster(
    site: Site, http: httpx.AsyncClient, load: Load, viewers: Viewers, batch: int, until: float
) -> None:
    """Closed loop: the next batch as soon as the last one is answered."""
    while time.monotonic() < until:
        await post_one(site, http, load, viewers, batch)


async def post_one(
    site: Site, http: httpx.AsyncClient, load: Load, viewers: Viewers, batch: int
) -> None:
    """The next viewer in turn posts its next `batch` clips."""
    viewer = await viewers.queue.get()
    step = viewers.steps.get(viewer, 0)
    viewers.steps[viewer] = step + 1
    video = site.videos[viewer % len(site.videos)]
    first = step * batch
    if first + batch > VIDEO_SECONDS / 2:
        raise RuntimeError("a viewer reached the end of its video: use more viewers")
    body = clip_batch(video, first, batch, f"v{viewer}s{step}")
    start = time.perf_counter()
    headers = site.viewers[viewer]
    for _attempt in range(3):
        try:
            response = await http.post("/api/v1/activity", json=body, headers=headers)
            break
        except httpx.TransportError as exc:  # e.g. a kept-alive connection the server closed
            # Sent again as a player would: the same event ids count once whatever happened.
            load.refused[type(exc).__name__] = load.refused.get(type(exc).__name__, 0) + 1
    else:
        raise RuntimeError("three transport errors in a row")
    load.latencies.append(time.perf_counter() - start)
    if response.status_code == 202:
        load.accepted += batch
        viewers.posted += batch
    else:
        load.refused[response.status_code] = load.refused.get(response.status_code, 0) + 1
    viewers.queue.put_nowait(viewer)


async def prober(
    site: Site, http: httpx.AsyncClient, counters: Counters, load: Load, until: float
) -> None:
    """The probe user likes and clears the probe video in turn: each probe moves its likes
    (1, 0, 1, …), and the lag is from sending it to the counters store showing that."""
    while time.monotonic() < until:
        kind = "clear" if load.probes % 2 else "like"
        body = {
            "events": [
                {
                    "id": f"p{load.probes}",
                    "type": kind,
                    "video_id": str(site.probe_video),
                    "ts": int(time.time() * 1000),
                }
            ]
        }
        sent = time.perf_counter()
        headers = {"Authorization": f"Bearer {site.probe_token}"}
        response = await _send_probe(http, body, headers)
        assert response.status_code == 202, response.text
        load.probes += 1
        await _wait_likes(counters, site, int(kind == "like"), load, sent)
        await asyncio.sleep(PROBE_EVERY)


async def _send_probe(
    http: httpx.AsyncClient, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    """Sent again while a busy server sheds it (429), as the player would; the lag still
    counts from the first try."""
    for _attempt in range(600):
        response = await http.post("/api/v1/activity", json=body, headers=headers)
        if response.status_code != 429:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    raise RuntimeError("the probe was shed for ten minutes")


async def _wait_likes(counters: Counters, site: Site, likes: int, load: Load, sent: float) -> None:
    while True:
        counts = (await counters.snapshot([site.probe_video], [])).videos.get(site.probe_video)
        if (counts.likes if counts else 0) == likes:
            load.lags.append(time.perf_counter() - sent)
            return
        if time.perf_counter() - sent > PROBE_GIVE_UP:
            raise RuntimeError(f"a probe was not counted within {PROBE_GIVE_UP} s")
        await asyncio.sleep(0.01)


async def capacity(
    site: Site, http: httpx.AsyncClient, viewers: Viewers, seconds: float, batch: int
) -> Load:
    """As much as the site takes: CONCURRENCY posters, each sending again once answered."""
    load = Load()
    until = time.monotonic() + seconds
    start = time.perf_counter()
    await asyncio.gather(
        *(poster(site, http, load, viewers, batch, until) for _ in range(CONCURRENCY))
    )
    load.rate = load.accepted / (time.perf_counter() - start)
    return load


async def at_rate(
    site: Site,
    http: httpx.AsyncClient,
    counters: Counters,
    viewers: Viewers,
    plan: tuple[float, float, int],
) -> Load:
    """Open loop: a batch every batch / rate seconds whatever the answers (at most
    MAX_IN_FLIGHT waiting), so latency is measured at that rate, not at saturation."""
    rate, seconds, batch = plan
    load, in_flight = Load(), set[asyncio.Task[None]]()
    interval = batch / rate
    start = time.perf_counter()
    until = time.monotonic() + seconds
    probe = asyncio.create_task(prober(site, http, counters, load, until))
    tick = 0
    while time.monotonic() < until:
        tick += 1
        if len(in_flight) < MAX_IN_FLIGHT:
            task = asyncio.create_task(post_one(site, http, load, viewers, batch))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.sleep(max(0.0, start + tick * interval - time.perf_counter()))
    await asyncio.gather(*in_flight, probe)
    load.rate = load.accepted / (time.perf_counter() - start)
    return load


async def drained(counters: Counters, site: Site, expect_ms: int) -> float:
    """Seconds until the counters hold every clip posted (warm-up included)."""
    start = time.perf_counter()
    while True:
        snap = await counters.snapshot(site.videos, [])
        total = sum(c.watch_ms for c in snap.videos.values())
        if total >= expect_ms:
            if total != expect_ms:
                raise RuntimeError(f"counted {total} ms of watching, expected {expect_ms}")
            return time.perf_counter() - start
        if time.perf_counter() - start > 300:
            raise RuntimeError(f"backlog not drained: {total} of {expect_ms} ms")
        await asyncio.sleep(0.1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


# --- the deployments ---------------------------------------------------------------------


@contextlib.asynccontextmanager
async def embedded(work: Path) -> AsyncIterator[Site]:
    port = free_port()
    env = {**os.environ, "CLIPCAST_DATA_DIR": str(work / "data"), "CLIPCAST_SECRET_KEY": SECRET}
    settings = Settings(data_dir=work / "data", secret_key=SECRET)
    (work / "data").mkdir(parents=True, exist_ok=True)
    with processes([["serve", "--port", str(port)]], env, work) as pids:
        wait_up(f"http://127.0.0.1:{port}", work)
        yield Site(f"http://127.0.0.1:{port}", env, settings, pids=pids)


@contextlib.asynccontextmanager
async def scaled(work: Path) -> AsyncIterator[Site]:
    name = f"bench_activity_{os.getpid()}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CLIPCAST_DATA_DIR": str(work / "data"),
        "CLIPCAST_SECRET_KEY": SECRET,
        "CLIPCAST_DATABASE_URL": url,
        "CLIPCAST_BUS_BACKEND": "nats",
        "CLIPCAST_NATS_URL": NATS_URL,
        "CLIPCAST_NATS_PREFIX": prefix,
        "CLIPCAST_REDIS_URL": REDIS_URL,
        "CLIPCAST_REDIS_PREFIX": prefix,
        "CLIPCAST_NODE": prefix,
    }
    settings = Settings(
        database_url=url,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        data_dir=work / "data",
        secret_key=SECRET,
    )
    await asyncio.to_thread(upgrade, url)
    port = free_port()
    argvs = [["worker", "--role", "activity"], ["api", "--port", str(port)]]
    try:
        with processes(argvs, env, work) as pids:
            wait_up(f"http://127.0.0.1:{port}", work)
            yield Site(f"http://127.0.0.1:{port}", env, settings, pids=pids)
    finally:
        await _cleanup_nats(prefix)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def _cleanup_nats(prefix: str) -> None:
    from clipcast.adapters.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix)
    with contextlib.suppress(Exception):
        await bus.delete_streams()
    await bus.close()


@contextlib.contextmanager
def workdir(kind: str, *, keep: bool) -> Iterator[str]:
    if keep:
        path = tempfile.mkdtemp(prefix=f"bench-activity-{kind}-")
        print(f"{kind}: processes' logs kept in {path}", flush=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=f"bench-activity-{kind}-") as tmp:
        yield tmp


async def run_site(kind: str, args: argparse.Namespace) -> dict[str, object]:
    with workdir(kind, keep=args.keep) as tmp:
        deployment = embedded if kind == "embedded" else scaled
        async with deployment(Path(tmp)) as site:
            await seed(site, args.viewers, signed_in=args.signed_in)
            engine = make_engine(site.settings.resolved_database_url())
            counters = build_counters(site.settings, make_sessionmaker(engine))
            try:
                return await _measure(kind, site, counters, args)
            finally:
                if site.settings.redis_url:
                    await counters.replace_all(CounterTotals(), set())
                await counters.close()
                await engine.dispose()


async def _measure(
    kind: str, site: Site, counters: Counters, args: argparse.Namespace
) -> dict[str, object]:
    viewers = Viewers(asyncio.Queue())
    for viewer in range(len(site.viewers)):
        viewers.queue.put_nowait(viewer)
    limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
    async with httpx.AsyncClient(base_url=site.url, limits=limits, timeout=60) as http:
        cpu = cpu_seconds(site.pids)
        await capacity(site, http, viewers, 3, args.batch)  # warm-up: connections, caches
        most = await capacity(site, http, viewers, args.seconds, args.batch)
        first_drain = await drained(counters, site, viewers.posted * 2000)
        goal = await at_rate(site, http, counters, viewers, (args.rate, args.seconds, args.batch))
        drain = await drained(counters, site, viewers.posted * 2000)
        cpu = cpu_seconds(site.pids) - cpu
    return {
        "mode": kind,
        "capacity events/s": round(most.rate),
        "capacity api p99 ms": round(percentile(most.latencies, 99) * 1000),
        "capacity backlog drained s": round(first_drain, 1),
        "offered events/s": args.rate,
        "ingested events/s": round(goal.rate),
        "api p50 ms": round(percentile(goal.latencies, 50) * 1000, 1),
        "api p99 ms": round(percentile(goal.latencies, 99) * 1000, 1),
        "lag p50 ms": round(percentile(goal.lags, 50) * 1000),
        "lag p99 ms": round(percentile(goal.lags, 99) * 1000),
        "probes": goal.probes,
        "refused": {**most.refused, **goal.refused},
        "drain after s": round(drain, 2),
        # clipcast's processes only (not PostgreSQL, NATS or Redis), warm-up and drains included
        "clipcast cpu ms / 1k events": round(cpu / viewers.posted * 1e6),
        "posted (all counted)": viewers.posted,
    }


# --- the anchor --------------------------------------------------------------------------


async def raw_redis(events: int, batch: int) -> float:
    """HINCRBY through pipelines of `batch`, CONCURRENCY connections: increments per second."""
    redis = Redis.from_url(REDIS_URL)
    prefix = f"benchraw{uuid.uuid4().hex[:8]}"
    rounds = events // batch
    per_worker = max(1, rounds // CONCURRENCY)

    async def worker(n: int) -> None:
        for r in range(per_worker):
            pipe = redis.pipeline(transaction=False)
            for i in range(batch):
                pipe.hincrby(f"{prefix}:v:{(n * 7 + r + i) % VIDEOS}", "watch_ms", 2000)
            await pipe.execute()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
    elapsed = time.perf_counter() - start
    keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.unlink(*keys)
    await redis.aclose()
    return per_worker * CONCURRENCY * batch / elapsed


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


async def main_async(args: argparse.Namespace) -> None:
    print(f"load average at start: {load_average()}  (cores: {os.cpu_count()})")
    for kind in args.modes:
        figures = await run_site(kind, args)
        anchor = await raw_redis(int(figures["posted (all counted)"]), args.batch)  # type: ignore[call-overload]
        figures["raw redis HINCRBY/s"] = round(anchor)
        print(" | ".join(f"{k}: {v}" for k, v in figures.items()), flush=True)
    print(f"load average at end: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=20_000.0, help="offered events/s")
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    parser.add_argument(
        "--signed-in", action="store_true", help="signed-in viewers (default: anonymous)"
    )
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
