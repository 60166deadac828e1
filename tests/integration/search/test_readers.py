"""Search reader processes: the same answers as in-process searching, the writer's commits
seen, dead readers replaced, cancelled callers harmless, nothing left running."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from clipcast.adapters.search.readers import ReaderPool
from clipcast.adapters.search.tantivy import TantivyIndex
from clipcast.search import service
from clipcast.search.query import SearchParams
from tests.integration.search.corpus import CORPUS, NOW, to_doc, user_id

QUERIES = ["guitar", "gutiar lesson", "guitar lesson f", "cooking pasta", "crème", "the", ""]


@pytest.fixture
async def indexes(tmp_path: Path) -> AsyncIterator[tuple[TantivyIndex, ReaderPool]]:
    index = TantivyIndex(tmp_path, writer_threads=1)
    await index.upsert([to_doc(entry) for entry in CORPUS])
    pool = ReaderPool(index, tmp_path, 2)
    await pool.start()
    yield index, pool
    await pool.close()


async def _search(index: Any, q: str, viewer: str | None = None) -> list[str]:
    page = await service.search_videos(
        index=index,
        params=SearchParams(q=q, per_page=100),
        viewer_id=user_id(viewer) if viewer else None,
        now=NOW,
    )
    return [f"{item.id} {item.snippet_title} {item.snippet_description}" for item in page.items]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


async def test_readers_answer_as_the_index_itself_does(
    indexes: tuple[TantivyIndex, ReaderPool],
) -> None:
    index, pool = indexes
    assert len(pool.pids()) == 2
    for q in QUERIES:
        for viewer in (None, "bob"):
            assert await _search(pool, q, viewer) == await _search(index, q, viewer), q
    for q in ("guit", "gutiar", "crème br"):
        assert await service.suggest_titles(index=pool, q=q, viewer_id=None) == (
            await service.suggest_titles(index=index, q=q, viewer_id=None)
        )
    # Sixteen at once, as a busy node gets them: every caller gets its own answer.
    many = await asyncio.gather(*(_search(pool, QUERIES[n % len(QUERIES)]) for n in range(16)))
    for n, found in enumerate(many):
        assert found == await _search(index, QUERIES[n % len(QUERIES)])


async def test_readers_see_the_writers_commits(indexes: tuple[TantivyIndex, ReaderPool]) -> None:
    index, pool = indexes
    assert await _search(pool, "zanzibar") == []
    newcomer = replace(to_doc(CORPUS[0]), title="Zanzibar sunrise timelapse")
    await index.upsert([newcomer])
    deadline = time.monotonic() + 10
    found: list[str] = []
    for _ in range(100):  # readers reload on the commit within about a second
        found = await _search(pool, "zanzibar")
        if found or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert [row.split()[0] for row in found] == [str(newcomer.video_id)]


async def test_a_killed_reader_is_replaced_and_the_search_still_answered(
    indexes: tuple[TantivyIndex, ReaderPool],
) -> None:
    index, pool = indexes
    expected = await _search(index, "guitar")
    victims = pool.pids()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    for _ in range(4):  # each dead reader is met once and replaced
        assert await _search(pool, "guitar") == expected
    assert len(pool.pids()) == 2 and not set(pool.pids()) & set(victims)


async def test_a_cancelled_caller_does_not_pass_its_answer_to_the_next(
    indexes: tuple[TantivyIndex, ReaderPool],
) -> None:
    index, pool = indexes
    for _ in range(5):
        late = asyncio.create_task(_search(pool, "cooking pasta"))
        await asyncio.sleep(0)  # sent, not yet answered
        late.cancel()
        assert await _search(pool, "guitar") == await _search(index, "guitar")
        assert await _search(pool, "crème") == await _search(index, "crème")


def _fails(_searcher: Any, message: str) -> None:
    raise ValueError(message)


async def test_an_error_in_a_reader_is_raised_to_the_caller(
    indexes: tuple[TantivyIndex, ReaderPool],
) -> None:
    _index, pool = indexes
    with pytest.raises(ValueError, match="no such thing"):
        await pool.run(_fails, "no such thing")
    assert await _search(pool, "guitar")  # and the reader answers on


async def test_closing_stops_every_reader(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path, writer_threads=1)
    await index.upsert([to_doc(entry) for entry in CORPUS])
    pool = ReaderPool(index, tmp_path, 2)
    await pool.start()
    pids = pool.pids()
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    await pool.close()
    assert not any(_alive(pid) for pid in pids)
