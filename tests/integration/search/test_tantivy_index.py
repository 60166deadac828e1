"""The tantivy adapter's promises about writing: one writer per directory, readers elsewhere
see commits within about a second, staged work is all or nothing."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from clipcast.adapters.search.base import IndexLocked, SearchQuery
from clipcast.adapters.search.tantivy import TantivyIndex
from tests.integration.search.corpus import BY_KEY, to_doc

EVERYTHING = SearchQuery(limit=100)


def titles(index: TantivyIndex) -> set[str]:
    return {hit.title for hit in index.search_sync(EVERYTHING).hits}


def test_a_reading_process_sees_commits_within_a_second(tmp_path: Path) -> None:
    writer = TantivyIndex(tmp_path, writer_threads=1)
    reader = TantivyIndex(tmp_path)  # never writes, so it takes no lock
    try:
        writer.upsert_sync([to_doc(BY_KEY["cake"])])
        assert titles(reader) == {"Chocolate cake without an oven"}
        writer.upsert_sync([to_doc(BY_KEY["bread"])])
        deadline = time.monotonic() + 2
        while len(titles(reader)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert titles(reader) == {"Chocolate cake without an oven", "Bake sourdough bread"}
    finally:
        writer.close_sync()


async def test_a_second_writer_on_one_directory_is_refused(tmp_path: Path) -> None:
    first, second = TantivyIndex(tmp_path, writer_threads=1), TantivyIndex(tmp_path)
    try:
        await first.upsert([to_doc(BY_KEY["cake"])])
        with pytest.raises(IndexLocked):
            await second.upsert([to_doc(BY_KEY["bread"])])
    finally:
        await first.close()
    await second.upsert([to_doc(BY_KEY["bread"])])  # the lock went with the first writer
    await second.close()


async def test_staged_work_is_invisible_until_commit_and_rollback_drops_it(
    tmp_path: Path,
) -> None:
    index = TantivyIndex(tmp_path, writer_threads=1)
    try:
        await index.upsert([to_doc(BY_KEY["cake"]), to_doc(BY_KEY["bread"])])
        await index.clear(commit=False)
        await index.upsert([to_doc(BY_KEY["pasta"])], commit=False)
        assert len(titles(index)) == 2  # a rebuild in progress is not seen half done
        await index.rollback()
        await index.commit()
        assert titles(index) == {"Chocolate cake without an oven", "Bake sourdough bread"}

        await index.clear(commit=False)
        await index.upsert([to_doc(BY_KEY["pasta"])], commit=False)
        await index.commit()
        assert titles(index) == {"Fresh pasta by hand"}
    finally:
        await index.close()


async def test_upsert_replaces_the_document_of_the_same_video(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path, writer_threads=1)
    try:
        cake = to_doc(BY_KEY["cake"])
        await index.upsert([cake])
        await index.upsert([replace(cake, title="Lemon cake")])
        assert titles(index) == {"Lemon cake"}
        assert await index.count() == 1
        await index.delete([cake.video_id, cake.owner_id])  # an unknown id is ignored
        assert await index.count() == 0
    finally:
        await index.close()
