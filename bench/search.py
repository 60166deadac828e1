"""Search figures: index rate and query latency on 100,000 generated videos, beside SQLite FTS5.

Documents are generated deterministically (seeded): titles, descriptions and tags drawn with a
Zipf-like skew from a made-up vocabulary, 2,000 owners, durations from 10 s to 2 h, upload
dates over three years, 90 % public. clipcast indexes them the way `clipcast search reindex`
does (staged, one commit); FTS5 gets the same documents in one transaction.

The query mix has four kinds, 25 % each: plain (two title words), typo (one word with a
swapped or changed letter), prefix (a word and the start of the next, as typed) and filtered
(two words plus a duration range and an upload window). Latency is the whole call the API
makes, `clipcast.search.service.search_json` (query building, searching, snippets, the JSON
body), run by reader processes (`CLIPCAST_SEARCH_READERS`, default here: one per core) and,
for comparison, in threads of the calling process, from 1 client and from 16 concurrent
clients on one event loop. FTS5 runs the nearest equivalent SQL (MATCH with the same field
weights in bm25, the same access rule and filters, a total count, snippets) through
`asyncio.to_thread` as an async API would; it has no typo tolerance, so typo queries are not
run on it.

    .venv/bin/python bench/search.py [--docs 100000] [--queries 400]

Goals (issue 3, this machine): p99 < 20 ms at 16 clients, >= 5,000 documents/s indexed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from clipcast.adapters.search.base import SearchDoc, SearchIndex
from clipcast.adapters.search.readers import ReaderPool
from clipcast.adapters.search.tantivy import TantivyIndex
from clipcast.search.documents import ROOT_MARK
from clipcast.search.query import DateWindow, SearchParams
from clipcast.search.service import MediaLinks, search_json

NOW = datetime(2025, 1, 1, tzinfo=UTC)
LINKS = MediaLinks(base_url="https://videos.example", secret=b"b" * 32, token_ttl=6 * 3600)
SEED = 20240601
KINDS = ("plain", "typo", "prefix", "filtered")
BATCH = 5_000


# The corpus.


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Pronounceable made-up words of 3 to 10 letters, distinct."""
    onsets = ["b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "br", "st"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
    words: dict[str, None] = {}
    while len(words) < size:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 4)))
        if 3 <= len(word) <= 10:
            words.setdefault(word)
    return list(words)


class Corpus:
    def __init__(self, count: int) -> None:
        rng = random.Random(SEED)
        self.words = vocabulary(rng, 20_000)
        # Zipf-like: a few words are everywhere, most are rare, as in real titles.
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))
        self.tags = vocabulary(random.Random(SEED + 1), 400)
        self.owners = [(uuid.UUID(int=rng.getrandbits(128)), f"user{n}") for n in range(2_000)]
        self.docs = [self._doc(rng) for _ in range(count)]

    def _words(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def _doc(self, rng: random.Random) -> SearchDoc:
        owner_id, owner_name = rng.choice(self.owners)
        visibility = rng.choices(["public", "unlisted", "private"], weights=[90, 5, 5])[0]
        return SearchDoc(
            video_id=uuid.UUID(int=rng.getrandbits(128)),
            title=" ".join(self._words(rng, rng.randint(3, 8))).capitalize(),
            description=" ".join(self._words(rng, rng.randint(20, 60))),
            tags=tuple(rng.sample(self.tags, rng.randint(1, 5))),
            owner_id=owner_id,
            owner_name=owner_name,
            visibility=visibility,
            listed=visibility == "public",
            created_at=NOW - timedelta(seconds=rng.randint(0, 3 * 365 * 86_400)),
            duration=float(rng.randint(10, 7_200)),
            popularity=rng.random() * 1_000,
            thumbnails=card_thumbnails(uuid.UUID(int=rng.getrandbits(128))),
        )


def card_thumbnails(unit: uuid.UUID) -> str:
    """What the index holds of a thumbnailed video (search.documents.card_thumbnails)."""

    def image(name: str, width: int, height: int) -> dict[str, object]:
        key = f"{ROOT_MARK}thumbs/{unit}/{name}"
        return {"url": f"{key}.jpg", "webp_url": f"{key}.webp", "width": width, "height": height}

    return json.dumps(
        {
            "poster": {"custom": False, "card": image("card", 320, 180),
                       "player": image("player", 1280, 720)},
            "preview": {"url": f"{ROOT_MARK}thumbs/{unit}/preview.webp", "width": 320,
                        "height": 180},
        }, separators=(",", ":"),
    )  # fmt: skip


@dataclass(frozen=True)
class Case:
    kind: str
    q: str
    viewer: uuid.UUID | None
    duration: tuple[float, float] | None = None
    date: DateWindow | None = None


def typo(rng: random.Random, word: str) -> str:
    chars = list(word)
    at = rng.randrange(len(chars) - 1)
    if rng.random() < 0.5:
        chars[at], chars[at + 1] = chars[at + 1], chars[at]
    else:
        chars[at] = "x" if chars[at] != "x" else "z"
    return "".join(chars)


def cases(corpus: Corpus, count: int) -> list[Case]:
    """Queries drawn from documents, so they have answers, like people's queries mostly do."""
    rng = random.Random(SEED + 2)
    out = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        doc = rng.choice(corpus.docs)
        words = doc.title.lower().split()
        first, second = rng.sample(words, 2)
        viewer = None if rng.random() < 0.7 else rng.choice(corpus.owners)[0]
        if kind == "typo":
            long_words = [w for w in words if len(w) >= 5] or [first]
            out.append(Case(kind, f"{typo(rng, rng.choice(long_words))} {second}", viewer))
        elif kind == "prefix":
            out.append(Case(kind, f"{first} {second[: max(2, len(second) // 2)]}", viewer))
        elif kind == "filtered":
            window = rng.choice([DateWindow.MONTH, DateWindow.YEAR])
            out.append(Case(kind, f"{first} {second}", viewer, (60.0, 3_600.0), window))
        else:
            out.append(Case(kind, f"{first} {second} ", viewer))  # finished words: no prefix
    return out


# clipcast.


def index_clipcast(corpus: Corpus, directory: Path) -> tuple[TantivyIndex, float]:
    index = TantivyIndex(directory)
    start = time.perf_counter()
    for offset in range(0, len(corpus.docs), BATCH):
        index.upsert_sync(corpus.docs[offset : offset + BATCH], commit=False)
    index.upsert_sync([], commit=True)
    rate = len(corpus.docs) / (time.perf_counter() - start)
    # Queries run on the index as it settles: merges done, as on a node that has been up.
    index.close_sync()
    return index, rate


def clipcast_call(index: SearchIndex) -> Callable[[Case], Awaitable[int]]:
    async def call(case: Case) -> int:
        params = SearchParams(
            q=case.q,
            duration_min=case.duration[0] if case.duration else None,
            duration_max=case.duration[1] if case.duration else None,
            date=case.date,
        )
        body = await search_json(index, params, case.viewer, NOW, LINKS)
        return len(body)

    return call


# SQLite FTS5.


def index_fts5(corpus: Corpus, path: Path) -> float:
    db = sqlite3.connect(path)
    db.executescript(
        """
        PRAGMA journal_mode=WAL;
        CREATE TABLE docs (id INTEGER PRIMARY KEY, video_id TEXT, title TEXT, description TEXT,
                           owner_id TEXT, owner_name TEXT, listed INTEGER, created_at REAL,
                           duration REAL, popularity REAL);
        CREATE VIRTUAL TABLE docs_fts USING fts5(
            title, tags, description, owner, content='',
            tokenize='porter unicode61 remove_diacritics 2', prefix='2 3');
        """
    )
    start = time.perf_counter()
    with db:
        for rowid, d in enumerate(corpus.docs, start=1):
            db.execute(
                "INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)",
                (rowid, str(d.video_id), d.title, d.description, str(d.owner_id), d.owner_name,
                 int(d.listed), d.created_at.timestamp(), d.duration, d.popularity),
            )  # fmt: skip
            db.execute(
                "INSERT INTO docs_fts(rowid, title, tags, description, owner) VALUES (?,?,?,?,?)",
                (rowid, d.title, " ".join(d.tags), d.description, d.owner_name),
            )
    rate = len(corpus.docs) / (time.perf_counter() - start)
    db.close()
    return rate


def fts5_match(case: Case) -> str:
    words = case.q.split()
    terms = [f'"{w}"' for w in words]
    if case.kind == "prefix":
        terms[-1] += "*"
    return " ".join(terms)


_FILTERS = "(d.listed = 1 OR d.owner_id = :viewer)"
_DURATION = " AND d.duration BETWEEN :low AND :high AND d.created_at >= :after"


def fts5_call(path: Path) -> Callable[[Case], Awaitable[int]]:
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db: sqlite3.Connection = local.db
        return db

    def run(case: Case) -> int:
        where = "docs_fts MATCH :match AND " + _FILTERS + (_DURATION if case.duration else "")
        window = {DateWindow.MONTH: 30, DateWindow.YEAR: 365}.get(case.date or DateWindow.YEAR)
        args = {
            "match": fts5_match(case),
            "viewer": str(case.viewer),
            "low": case.duration[0] if case.duration else 0,
            "high": case.duration[1] if case.duration else 0,
            "after": (NOW - timedelta(days=window or 365)).timestamp(),
        }
        base = "FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid WHERE " + where
        db = connection()
        total = db.execute("SELECT count(*) " + base, args).fetchone()[0]
        db.execute(
            "SELECT d.video_id, d.title, d.description, "
            "bm25(docs_fts, 4.0, 2.5, 1.0, 0.8) AS score " + base + " ORDER BY score LIMIT 20",
            args,
        ).fetchall()
        return int(total)

    async def call(case: Case) -> int:
        return await asyncio.to_thread(run, case)

    return call


# Measuring.


@dataclass
class Latencies:
    by_kind: dict[str, list[float]]
    seconds: float
    cpu_seconds: float  # of this process and its readers: what a query costs, whatever the load

    def all(self) -> list[float]:
        return [v for values in self.by_kind.values() for v in values]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU used so far by this process (every thread) and by the reader processes `pids`."""
    total = time.process_time()
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def measure(
    call: Callable[[Case], Awaitable[int]],
    work: list[Case],
    clients: int,
    pids: Sequence[int] = (),
) -> Latencies:
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    queue: Iterator[Case] = iter(work)

    async def client() -> None:
        for case in queue:  # clients share one queue: each takes the next query when free
            start = time.perf_counter()
            await call(case)
            by_kind[case.kind].append((time.perf_counter() - start) * 1000)

    for case in work[:20]:  # warm caches, the thread pool and the readers
        await call(case)
    start, cpu = time.perf_counter(), cpu_seconds(pids)
    await asyncio.gather(*(client() for _ in range(clients)))
    return Latencies(by_kind, time.perf_counter() - start, cpu_seconds(pids) - cpu)


def report_row(name: str, lat: Latencies | None, kind: str | None = None) -> str:
    if lat is None:
        return f"{name:<34}{'n/a (no typo tolerance)':>36}"
    values = lat.all() if kind is None else lat.by_kind[kind]
    if not values:
        return f"{name:<34}{'-':>12}"
    p50, p99 = statistics.median(values), percentile(values, 99)
    qps = len(lat.all()) / lat.seconds
    row = f"{name:<34}{p50:>10.2f}{p99:>10.2f}{qps:>10.0f}{len(values):>8}"
    if kind is None:  # CPU is measured for the whole mix only
        row += f"{lat.cpu_seconds / len(values) * 1000:>10.2f}"
    return row


async def run_queries(
    index: TantivyIndex, directory: Path, readers: int, fts_path: Path, work: list[Case]
) -> dict[tuple[str, int], Latencies]:
    without_typos = [c for c in work if c.kind != "typo"]
    pool = ReaderPool(index, directory, readers)
    results = {}
    try:
        for clients in (1, 16):
            results[("threads", clients)] = await measure(clipcast_call(index), work, clients)
            await pool.start()  # before the clock, as on a node that is up
            results[("readers", clients)] = await measure(
                clipcast_call(pool), work, clients, pool.pids()
            )
            results[("fts5", clients)] = await measure(fts5_call(fts_path), without_typos, clients)
    finally:
        await pool.close()
    return results


def load() -> str:
    """The 1, 5 and 15 minute load averages: latencies mean little on a machine kept busy."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument(
        "--readers", type=int, default=os.cpu_count() or 2, help="reader processes (default: cores)"
    )
    args = parser.parse_args()
    work_dir = Path(tempfile.mkdtemp(prefix="clipcast-bench-search-"))
    try:
        print(f"load average at the start: {load()} on {os.cpu_count()} CPUs")
        started = time.perf_counter()
        corpus = Corpus(args.docs)
        print(f"generated {args.docs:,} documents in {time.perf_counter() - started:.1f} s")
        index, rate = index_clipcast(corpus, work_dir / "tantivy")
        fts_rate = index_fts5(corpus, work_dir / "fts5.db")
        size = sum(f.stat().st_size for f in (work_dir / "tantivy").rglob("*") if f.is_file())
        fts_size = (work_dir / "fts5.db").stat().st_size
        print(f"\n{'indexing':<34}{'docs/s':>10}{'size MB':>10}")
        print(f"{'clipcast (tantivy)':<34}{rate:>10,.0f}{size / 1e6:>10.1f}"
              f"   {index.segment_count()} segment(s) after merging")  # fmt: skip
        print(f"{'SQLite FTS5':<34}{fts_rate:>10,.0f}{fts_size / 1e6:>10.1f}")
        print(f"{'goal':<34}{'>= 5,000':>10}")

        work = cases(corpus, args.queries)
        results = asyncio.run(
            run_queries(index, work_dir / "tantivy", args.readers, work_dir / "fts5.db", work)
        )
        for clients in (1, 16):
            print(
                f"\n{clients} client(s){'p50 ms':>24}{'p99 ms':>10}{'q/s':>10}{'n':>8}"
                f"{'CPU ms/q':>10}"
            )
            for config, label in (
                ("readers", f"clipcast, {args.readers} readers"),
                ("threads", "clipcast, in-process threads"),
            ):
                ours = results[(config, clients)]
                print(report_row(label, ours))
                for kind in KINDS:
                    print(report_row(f"  {kind}", ours, kind))
            theirs = results[("fts5", clients)]
            print(report_row("FTS5, mix without typos", theirs))
            for kind in KINDS:
                print(report_row(f"  {kind}", theirs if kind != "typo" else None, kind))
        print(f"\ngoal: clipcast p99 < 20 ms at 16 clients (a search node: {args.readers} readers)")
        print(
            f"load average at the end: {load()} on {os.cpu_count()} CPUs (other work shares them)"
        )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
