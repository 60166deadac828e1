"""Two handlers of one video running side by side (as NATS before 2.10 runs a pull loop per
topic): the one that read SQL first must not write last and undo an edit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from clipcast.adapters.bus.base import Event
from clipcast.adapters.search.base import SearchDoc
from clipcast.adapters.search.tantivy import TantivyIndex
from clipcast.bootstrap import Adapters
from clipcast.search import handlers
from clipcast.videos.models import Video
from tests.integration.search.corpus import BY_KEY, NOW, video_id
from tests.integration.search.test_relevance import add_to_sql, keys

# How long the second handler is given to run before the first may write: time enough for
# a read and a commit, so that without turns it has written first. Not a bound on anything.
HEAD_START_SECONDS = 1.0


class HeldIndex(TantivyIndex):
    """The real index, whose first write waits until the test lets it go."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, writer_threads=1)
        self.holding = asyncio.Event()
        self.go = asyncio.Event()
        self._held = False

    async def upsert(self, docs: Sequence[SearchDoc], *, commit: bool = True) -> None:
        if not self._held:
            self._held = True
            self.holding.set()
            await self.go.wait()
        await super().upsert(docs, commit=commit)


def event(topic: str, key: str) -> Event:
    return Event(uuid.uuid4(), topic, {"video_id": str(video_id(key))}, NOW)


@pytest.mark.parametrize("edit", ["rename", "delete"])
async def test_an_older_read_written_late_does_not_undo_an_edit(
    adapters: Adapters, tmp_path: Path, edit: str
) -> None:
    await add_to_sql(adapters, [BY_KEY["guitar-lesson"]])
    index = HeldIndex(tmp_path / "held")
    try:

        async def handle(topic: str) -> None:
            await handlers.handle(
                event(topic, "guitar-lesson"), sessions=adapters.sessions, index=index
            )

        first = asyncio.create_task(handle(handlers.VIDEO_READY))
        await index.holding.wait()  # it read "Guitar lesson for beginners"; its write waits

        async with adapters.sessions() as session:
            row = Video.id == video_id("guitar-lesson")
            if edit == "rename":
                await session.execute(update(Video).where(row).values(title="Ukulele chords"))
            else:
                await session.execute(delete(Video).where(row))
            await session.commit()
        topic = handlers.VIDEO_UPDATED if edit == "rename" else handlers.VIDEO_DELETED
        second = asyncio.create_task(handle(topic))
        await asyncio.wait({second}, timeout=HEAD_START_SECONDS)
        index.go.set()
        await asyncio.gather(first, second)

        assert await keys(index, "beginners") == []  # only in the old title
        assert await keys(index, "ukulele") == (["guitar-lesson"] if edit == "rename" else [])
    finally:
        await index.close()
