"""Relevance on a fixed corpus with the real tantivy index: expected top hits, typos,
prefixes, accents, filters, sorts, and who may find what — then the same through SQL and the
bus handlers (visibility changes, deletes, rebuilds)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from clipcast.accounts.models import User
from clipcast.adapters.bus.base import Event
from clipcast.adapters.search.base import SearchIndex, SortOrder
from clipcast.adapters.search.tantivy import TantivyIndex
from clipcast.bootstrap import Adapters
from clipcast.runtime import Role, run_roles
from clipcast.search import handlers, service
from clipcast.search.query import DateWindow, SearchParams
from clipcast.search.schemas import SearchPageOut
from clipcast.videos.lifecycle import VideoState, Visibility
from clipcast.videos.models import Video
from tests.integration.search.corpus import (
    BY_ID,
    BY_KEY,
    CORPUS,
    NOW,
    PUBLIC,
    Entry,
    to_doc,
    user_id,
    video_id,
)


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TantivyIndex]:
    """The corpus indexed once for the module; these tests only read it."""
    index = TantivyIndex(tmp_path_factory.mktemp("search"), writer_threads=1)
    index.upsert_sync([to_doc(entry) for entry in CORPUS])
    yield index
    index.close_sync()


async def page(index: SearchIndex, viewer: str | None = None, **params: object) -> SearchPageOut:
    return await service.search_videos(
        index=index,
        params=SearchParams(**params),  # type: ignore[arg-type]
        viewer_id=user_id(viewer) if viewer else None,
        now=NOW,
    )


async def keys(
    index: SearchIndex, q: str = "", viewer: str | None = None, **params: object
) -> list[str]:
    found = await page(index, viewer, q=q, per_page=100, **params)
    return [BY_ID[item.id] for item in found.items]


# Expected top hits.


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("guitar lesson", "guitar-lesson"),
        ("gutiar lesson", "guitar-lesson"),  # a swap of two letters
        ("gutiar lesons", "guitar-lesson"),  # a typo in each word
        ("guitar lesson for beginers", "guitar-lesson"),
        ("how to play guitar", "guitar-lesson"),  # a word nobody wrote does not empty results
        ("ukelele", "ukulele"),
        ("photograpy", "photo"),
        ("python beginners", "python"),
        ("drums", "drums"),  # the title beats a description that mentions drums
        ("cake", "cake"),  # the exact word beats "bake", one typo away
        ("sourdough", "bread"),
        ("tonkotsu", "ramen"),
        ("rust borrow checker", "rust"),
        ("mechanical keybord", "keyboard"),
    ],
)
async def test_expected_video_comes_first(corpus_index: TantivyIndex, q: str, first: str) -> None:
    assert (await keys(corpus_index, q))[0] == first


@pytest.mark.parametrize(
    "q", ["crème brûlée", "CREME BRULEE", "creme brulee", "Crème Brulee", "brûlée"]
)
async def test_accents_and_case_do_not_matter(corpus_index: TantivyIndex, q: str) -> None:
    assert (await keys(corpus_index, q))[0] == "creme"


async def test_accented_titles_are_found_by_plain_letters(corpus_index: TantivyIndex) -> None:
    assert (await keys(corpus_index, "cafe latte"))[0] == "cafe"
    assert (await keys(corpus_index, "naive art"))[0] == "naive"


async def test_drums_in_a_description_still_ranks_below_the_title(
    corpus_index: TantivyIndex,
) -> None:
    found = await keys(corpus_index, "drums")
    assert found.index("drums") < found.index("piano")


async def test_half_typed_word_finds_the_guitar_videos_first(corpus_index: TantivyIndex) -> None:
    found = await keys(corpus_index, "guit")
    assert set(found[:4]) == {"guitar-lesson", "guitar-solo", "guitars-review", "bass"}


@pytest.mark.parametrize(
    ("q", "key"), [("sourd", "bread"), ("tonk", "ramen"), ("origa", "origami")]
)
async def test_prefix_of_a_title_word_finds_it(
    corpus_index: TantivyIndex, q: str, key: str
) -> None:
    assert (await keys(corpus_index, q))[0] == key


async def test_owner_name_finds_their_videos(corpus_index: TantivyIndex) -> None:
    found = await keys(corpus_index, "lena")
    assert set(found) == {e.key for e in CORPUS if e.owner == "lena"}


async def test_nonsense_finds_nothing(corpus_index: TantivyIndex) -> None:
    result = await page(corpus_index, q="xylophonist zeppelin")
    assert (result.items, result.total) == ([], 0)


# Snippets.


async def test_snippets_mark_the_matching_words_even_with_typos(corpus_index: TantivyIndex) -> None:
    top = (await page(corpus_index, q="gutiar lesson")).items[0]
    assert top.snippet_title == "<mark>Guitar</mark> <mark>lesson</mark> for beginners"
    assert "first <mark>guitar</mark> <mark>lesson</mark>" in top.snippet_description


# Filters.


async def test_duration_filters_bound_the_length(corpus_index: TantivyIndex) -> None:
    short = await keys(corpus_index, duration_max=240)
    assert set(short) == {"pancakes", "knife", "stretch", "cafe"}
    long = await keys(corpus_index, duration_min=1800)
    assert set(long) == {"bread", "ramen", "python", "keyboard", "woodwork"}
    middle = await keys(corpus_index, "guitar", duration_min=400, duration_max=1000)
    assert set(middle) == {"guitar-lesson", "guitar-solo", "bass"}


async def test_upload_date_window_and_bounds(corpus_index: TantivyIndex) -> None:
    week = await keys(corpus_index, date=DateWindow.WEEK)
    assert set(week) == {"guitar-lesson", "drums", "creme", "pancakes", "yoga", "cats", "stretch"}
    today = await keys(corpus_index, date=DateWindow.TODAY)
    assert set(today) == {"pancakes"}
    between = await keys(
        corpus_index,
        uploaded_after=NOW - timedelta(days=300),
        uploaded_before=NOW - timedelta(days=200),
    )
    assert set(between) == {"guitars-review", "drone", "linux", "marathon"}


async def test_tags_filter_needs_every_tag_and_ignores_case(corpus_index: TantivyIndex) -> None:
    cooking = await keys(corpus_index, tags=("cooking",))
    assert set(cooking) == {"creme", "cake", "bread", "pasta", "ramen", "pancakes", "knife"}
    assert await keys(corpus_index, tags=("Travel", "JAPAN")) == ["kyoto"]
    guitar = await keys(corpus_index, tags=("Guitar",))
    assert set(guitar) == {"guitar-lesson", "guitar-solo", "guitars-review"}


async def test_owner_filter_with_words_and_duration(corpus_index: TantivyIndex) -> None:
    assert set(await keys(corpus_index, owner="Lena")) == {
        "photo", "iceland", "kyoto", "drone", "lightroom", "naive"
    }  # fmt: skip
    found = await keys(corpus_index, "guitar", owner="jake", duration_max=600)
    assert set(found) == {"guitar-solo", "bass"}
    assert await keys(corpus_index, "guitar", owner="marie") == []


# Sorts and pages.


async def test_sort_by_date_is_newest_first(corpus_index: TantivyIndex) -> None:
    result = await page(corpus_index, q="beginners", sort=SortOrder.DATE, per_page=100)
    dates = [item.created_at for item in result.items]
    assert len(dates) >= 5
    assert dates == sorted(dates, reverse=True)
    assert all(item.score is None for item in result.items)


async def test_sort_by_popularity_is_most_popular_first(corpus_index: TantivyIndex) -> None:
    found = await keys(corpus_index, tags=("running",), sort=SortOrder.POPULARITY)
    assert found == ["running", "marathon", "stretch"]


async def test_no_words_lists_everything_visible_newest_first(corpus_index: TantivyIndex) -> None:
    found = await keys(corpus_index)
    assert set(found) == PUBLIC
    assert found[0] == "pancakes"


async def test_pages_cover_all_results_once(corpus_index: TantivyIndex) -> None:
    seen: list[str] = []
    for number in range(1, 6):
        result = await page(corpus_index, q="", page=number, per_page=10)
        assert result.total == len(PUBLIC)
        seen += [BY_ID[item.id] for item in result.items]
    assert sorted(seen) == sorted(PUBLIC)


# Who may find what.


async def test_private_and_unlisted_videos_of_others_never_appear(
    corpus_index: TantivyIndex,
) -> None:
    for viewer in (None, "jake", "marie"):
        for q in ("guitar lesson", "guitar", "gutiar", "guit", ""):
            found = set(await keys(corpus_index, q, viewer))
            assert not found & {"bob-private", "bob-unlisted"}, (viewer, q)
    assert "marie-private" not in await keys(corpus_index, "creme brulee", "lena")
    assert "marie-private" not in await keys(corpus_index, "", None, tags=("cooking",))


async def test_owner_finds_their_own_private_and_unlisted_videos(
    corpus_index: TantivyIndex,
) -> None:
    found = await keys(corpus_index, "guitar lesson", "bob")
    assert {"bob-private", "bob-unlisted", "guitar-lesson"} <= set(found)
    assert "marie-private" in await keys(corpus_index, "creme brulee", "marie")


async def test_suggestions_offer_titles_the_viewer_may_watch(corpus_index: TantivyIndex) -> None:
    titles = await service.suggest_titles(index=corpus_index, q="guitar lesson f", viewer_id=None)
    assert titles == ["Guitar lesson for beginners"]
    own = await service.suggest_titles(
        index=corpus_index, q="guitar lesson f", viewer_id=user_id("bob")
    )
    assert set(own) == {
        "Guitar lesson for beginners", "Guitar lesson for friends", "Guitar lesson recording"
    }  # fmt: skip
    guit = await service.suggest_titles(index=corpus_index, q="guit", viewer_id=None)
    assert guit and all("guitar" in t.lower() for t in guit)
    assert await service.suggest_titles(index=corpus_index, q="crème br", viewer_id=None) == [
        "Crème brûlée at home"
    ]


# Through SQL and the bus handlers.


async def add_to_sql(adapters: Adapters, entries: list[Entry]) -> None:
    async with adapters.sessions() as session:
        for name in sorted({e.owner for e in entries}):
            session.add(User(id=user_id(name), username=name, password_hash="-", created_at=NOW))
        for e in entries:
            session.add(
                Video(
                    id=e.id,
                    owner_id=user_id(e.owner),
                    created_at=e.created_at,
                    updated_at=e.created_at,
                    title=e.title,
                    description=e.description,
                    duration=e.duration,
                    state=VideoState.READY,
                    progress=100,
                    playable=True,
                    visibility=e.visibility,
                )
            )
        await session.commit()


async def deliver(adapters: Adapters, topic: str, key: str) -> None:
    event = Event(
        id=uuid.uuid4(), topic=topic, payload={"video_id": str(video_id(key))}, created_at=NOW
    )
    await handlers.handle(event, sessions=adapters.sessions, index=adapters.search)


async def set_visibility(adapters: Adapters, key: str, visibility: Visibility) -> None:
    async with adapters.sessions() as session:
        await session.execute(
            update(Video).where(Video.id == video_id(key)).values(visibility=visibility)
        )
        await session.commit()


GUITARS = [BY_KEY[k] for k in ("guitar-lesson", "guitar-solo", "bob-private", "bob-unlisted")]


async def test_ready_events_index_from_sql_and_repeats_change_nothing(adapters: Adapters) -> None:
    await add_to_sql(adapters, GUITARS)
    for _ in range(3):  # at-least-once delivery: the same events, again and again
        for entry in GUITARS:
            await deliver(adapters, handlers.VIDEO_READY, entry.key)
    assert await adapters.search.count() == len(GUITARS)
    assert await keys(adapters.search, "gutiar") == ["guitar-lesson", "guitar-solo"]
    assert set(await keys(adapters.search, "guitar", "bob")) == {e.key for e in GUITARS}


async def test_a_visibility_change_reaches_results_at_once(adapters: Adapters) -> None:
    await add_to_sql(adapters, GUITARS)
    for entry in GUITARS:
        await deliver(adapters, handlers.VIDEO_READY, entry.key)

    await set_visibility(adapters, "guitar-solo", Visibility.PRIVATE)
    await deliver(adapters, handlers.VIDEO_UPDATED, "guitar-solo")
    assert "guitar-solo" not in await keys(adapters.search, "blues guitar")
    assert "guitar-solo" in await keys(adapters.search, "blues guitar", "jake")

    await set_visibility(adapters, "guitar-solo", Visibility.UNLISTED)
    await deliver(adapters, handlers.VIDEO_UPDATED, "guitar-solo")
    assert "guitar-solo" not in await keys(adapters.search, "blues guitar", "bob")

    await set_visibility(adapters, "bob-unlisted", Visibility.PUBLIC)
    await deliver(adapters, handlers.VIDEO_UPDATED, "bob-unlisted")
    assert "bob-unlisted" in await keys(adapters.search, "guitar lesson friends")


async def test_deleted_and_unready_videos_vanish(adapters: Adapters) -> None:
    await add_to_sql(adapters, GUITARS)
    for entry in GUITARS:
        await deliver(adapters, handlers.VIDEO_READY, entry.key)

    async with adapters.sessions() as session:
        await session.execute(delete(Video).where(Video.id == video_id("guitar-lesson")))
        await session.commit()
    await deliver(adapters, handlers.VIDEO_DELETED, "guitar-lesson")
    assert "guitar-lesson" not in await keys(adapters.search, "guitar lesson")
    # A stale ready event for the deleted video, delivered late, does not bring it back.
    await deliver(adapters, handlers.VIDEO_READY, "guitar-lesson")
    assert "guitar-lesson" not in await keys(adapters.search, "guitar lesson")

    async with adapters.sessions() as session:
        await session.execute(
            update(Video).where(Video.id == video_id("guitar-solo")).values(state=VideoState.FAILED)
        )
        await session.commit()
    await deliver(adapters, handlers.VIDEO_UPDATED, "guitar-solo")
    assert set(await keys(adapters.search, "guitar", "bob")) == {"bob-private", "bob-unlisted"}


QUERIES = ["guitar lesson", "gutiar", "guit", "creme brulee", "beginners", "cooking", "lena", ""]


async def snapshot(index: SearchIndex) -> dict[tuple[str, str | None], list[str]]:
    return {
        (q, viewer): await keys(index, q, viewer)
        for q in QUERIES
        for viewer in (None, "bob", "marie")
    }


SAMPLE = GUITARS + [
    BY_KEY[k] for k in ("creme", "cake", "bread", "marie-private", "photo", "iceland", "pancakes")
]


async def test_reindex_from_sql_rebuilds_the_same_results(
    adapters: Adapters, tmp_path: Path
) -> None:
    await add_to_sql(adapters, SAMPLE)
    for entry in SAMPLE:
        await deliver(adapters, handlers.VIDEO_READY, entry.key)
    before = await snapshot(adapters.search)
    assert before[("guitar lesson", None)][0] == "guitar-lesson"
    assert before[("creme brulee", "marie")] == ["creme", "marie-private"]

    # A document SQL does not know (a lost delete) disappears in the rebuild.
    await adapters.search.upsert([replace(to_doc(BY_KEY["cats"]), video_id=uuid.uuid4())])
    assert await adapters.search.count() == len(SAMPLE) + 1

    rebuilt = await service.reindex_all(sessions=adapters.sessions, index=adapters.search)
    assert rebuilt == await adapters.search.count() == len(SAMPLE)
    assert await snapshot(adapters.search) == before

    fresh = TantivyIndex(tmp_path / "fresh", writer_threads=1)
    try:
        await service.reindex_all(sessions=adapters.sessions, index=fresh, batch_size=4)
        assert await snapshot(fresh) == before
    finally:
        await fresh.close()


async def test_reindex_leaves_out_videos_that_are_not_ready(adapters: Adapters) -> None:
    await add_to_sql(adapters, GUITARS)
    async with adapters.sessions() as session:
        await session.execute(
            update(Video)
            .where(Video.id == video_id("guitar-solo"))
            .values(state=VideoState.PROCESSING)
        )
        await session.commit()
    assert await service.reindex_all(sessions=adapters.sessions, index=adapters.search) == 3
    assert "guitar-solo" not in await keys(adapters.search, "blues guitar", "jake")


async def test_a_search_node_with_an_empty_index_fills_it_from_sql_when_it_starts(
    adapters: Adapters,
) -> None:
    # A new node, or a new index schema after an upgrade: nothing indexed, videos in SQL.
    await add_to_sql(adapters, CORPUS[:3])
    assert await adapters.search.count() == 0
    stop = asyncio.Event()
    running = asyncio.create_task(run_roles(adapters, {Role.SEARCH}, stop))
    for _ in range(100):
        if await adapters.search.count() == 3:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await running
    assert await adapters.search.count() == 3
    assert await keys(adapters.search, CORPUS[0].title) == [CORPUS[0].key]
