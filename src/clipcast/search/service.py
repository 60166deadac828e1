"""Use cases of search: keep the index in step with SQL, rebuild it, answer queries."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.search.base import (
    Searcher,
    SearchHit,
    SearchIndex,
    SearchPage,
    SearchQuery,
)
from clipcast.search import repository as repo
from clipcast.search.documents import ROOT_MARK_JSON, indexable, to_document
from clipcast.search.ordering import one_at_a_time
from clipcast.search.query import (
    SUGGEST_LIMIT,
    SearchParams,
    build_search_query,
    build_suggest_query,
    typo_pass_needed,
    without_typos,
)
from clipcast.search.schemas import SearchPageOut
from clipcast.search.snippets import Highlighter
from clipcast.videos.access import member_group_ids
from clipcast.videos.audience import groups_of
from clipcast.videos.lifecycle import Visibility
from clipcast.videos.service import media_root_for

log = logging.getLogger(__name__)

REINDEX_BATCH = 500
_NO_THUMBNAILS = orjson.Fragment(b"{}")


async def index_video(
    *, sessions: async_sessionmaker[AsyncSession], index: SearchIndex, video_id: uuid.UUID
) -> bool:
    """Make the index agree with SQL about one video: there if ready, gone otherwise.

    It reads the current row instead of trusting an event's payload, so events may come
    twice or out of order; calls for one video take turns (`one_at_a_time`), so the last
    call always leaves the right state. True if indexed.
    """
    async with one_at_a_time(index, video_id):
        return await _agree_with_sql(sessions, index, video_id)


async def _agree_with_sql(
    sessions: async_sessionmaker[AsyncSession], index: SearchIndex, video_id: uuid.UUID
) -> bool:
    async with sessions() as session:
        found = await repo.video_with_owner(session, video_id)
        groups = await groups_of(session, [video_id])
    if found is None or not indexable(found[0]):
        await index.delete([video_id])
        return False
    await index.upsert([to_document(*found, groups=groups.get(video_id, ()))])
    return True


async def remove_video(*, index: SearchIndex, video_id: uuid.UUID) -> None:
    async with one_at_a_time(index, video_id):
        await index.delete([video_id])


async def reindex_all(
    *,
    sessions: async_sessionmaker[AsyncSession],
    index: SearchIndex,
    batch_size: int = REINDEX_BATCH,
) -> int:
    """Rebuild the index from SQL; returns how many videos it holds.

    Everything is staged and committed once, so searches see the old index until the new
    one is complete; a failure half way drops the staged work and keeps the old index.
    """
    count = 0
    try:
        await index.clear(commit=False)
        async with sessions() as session:
            async for batch in repo.ready_videos(session, batch_size):
                groups = await groups_of(session, [v.id for v, _name in batch])
                docs = [to_document(v, name, groups=groups.get(v.id, ())) for v, name in batch]
                await index.upsert(docs, commit=False)
                count += len(batch)
    except BaseException:
        await index.rollback()
        raise
    await index.commit()
    log.info("search index rebuilt from SQL: %d videos", count)
    return count


@dataclass(frozen=True)
class MediaLinks:
    """What a results page needs to link thumbnails: the site's address, and for the
    caller's own non-public videos, the secret and lifetime of signed media URLs."""

    base_url: str
    secret: bytes
    token_ttl: int


def _root(hit: SearchHit, links: MediaLinks | None, now: datetime) -> str | None:
    """The media root of the hit's video, as `GET /videos/{id}` gives it; None if unknown."""
    if links is None:
        return None
    root, _expires = media_root_for(
        Visibility(hit.visibility),
        hit.video_id,
        base_url=links.base_url,
        secret=links.secret,
        token_ttl=links.token_ttl,
        now=now,
        key_version=hit.key_version,
    )
    return root


def _thumbnails(stored: str, root: str | None) -> orjson.Fragment:
    """The index's thumbnails JSON with its root marks replaced by `root` (JSON-escaped):
    one string replace, spliced into the answer as it is, never parsed."""
    if root is None or not stored:
        return _NO_THUMBNAILS
    return orjson.Fragment(stored.replace(ROOT_MARK_JSON, orjson.dumps(root)[1:-1].decode()))


def _item(hit: SearchHit, marks: Highlighter, root: str | None) -> dict[str, Any]:
    # The shape of schemas.SearchItemOut, built as plain data: every value is typed by the
    # index adapter already, and on a results page building and serialising models costs
    # as much as highlighting.
    return {
        "id": hit.video_id,
        "title": hit.title,
        "description": hit.description,
        "snippet_title": marks.highlight(hit.title),
        "snippet_description": marks.fragment(hit.description),
        "tags": hit.tags,
        "duration": hit.duration or None,
        "created_at": hit.created_at,
        "owner": {"id": hit.owner_id, "username": hit.owner_name},
        "thumbnails": _thumbnails(hit.thumbnails, root),
        "score": hit.score,
        "live": hit.live,
    }


def _forgiving(searcher: Searcher, query: SearchQuery) -> tuple[SearchPage, SearchQuery]:
    """Exact words first; typos only when that finds (next to) nothing. Returns the page and
    the query that made it, whose words the snippets mark."""
    exact = without_typos(query)
    page = searcher.search(exact)
    if not typo_pass_needed(query, page.total):
        return page, exact
    return searcher.search(query), query


def answer_search(
    searcher: Searcher,
    params: SearchParams,
    viewer_id: uuid.UUID | None,
    now: datetime,
    links: MediaLinks | None = None,
    groups: tuple[uuid.UUID, ...] = (),
) -> bytes:
    """The whole of a search, blocking, as JSON (schemas.SearchPageOut): run by
    `SearchIndex.run` where the index is read. JSON crosses to a reader process and back in a
    fifth of the time a pickle of models takes, and it is what the API sends anyway."""
    query = build_search_query(params, viewer_id=viewer_id, now=now, groups=groups)
    page, used = _forgiving(searcher, query)
    marks = Highlighter(used.terms)
    out = {
        "items": [_item(hit, marks, _root(hit, links, now)) for hit in page.hits],
        "total": page.total,
        "page": params.page,
        "per_page": params.per_page,
    }
    return orjson.dumps(out, option=orjson.OPT_UTC_Z)


def answer_suggest(
    searcher: Searcher,
    q: str,
    viewer_id: uuid.UUID | None,
    limit: int,
    groups: tuple[uuid.UUID, ...] = (),
) -> list[str]:
    """The whole of a suggestion, blocking, as `answer_search`."""
    query = build_suggest_query(q, viewer_id=viewer_id, limit=limit, groups=groups)
    if query is None:
        return []
    titles = searcher.suggest(without_typos(query))
    if typo_pass_needed(query, len(titles)):
        titles = searcher.suggest(query)
    return titles


async def search_videos(
    *,
    index: SearchIndex,
    params: SearchParams,
    viewer_id: uuid.UUID | None,
    now: datetime,
    links: MediaLinks | None = None,
    groups: tuple[uuid.UUID, ...] = (),
) -> SearchPageOut:
    """One page of videos the viewer may find, best first, with highlighted snippets (and,
    given `links`, thumbnail URLs); `groups` are the share groups the viewer is in
    (`viewer_groups`)."""
    body = await search_json(index, params, viewer_id, now, links, groups)
    return SearchPageOut.model_validate_json(body)


async def search_json(
    index: SearchIndex,
    params: SearchParams,
    viewer_id: uuid.UUID | None,
    now: datetime,
    links: MediaLinks | None = None,
    groups: tuple[uuid.UUID, ...] = (),
) -> bytes:
    """`search_videos` as the JSON the API sends."""
    return await index.run(answer_search, params, viewer_id, now, links, groups)


async def suggest_titles(
    *,
    index: SearchIndex,
    q: str,
    viewer_id: uuid.UUID | None,
    limit: int = SUGGEST_LIMIT,
    groups: tuple[uuid.UUID, ...] = (),
) -> list[str]:
    """Titles to offer while `q` is being typed, from videos the viewer may find."""
    return await index.run(answer_suggest, q, viewer_id, limit, groups)


async def viewer_groups(
    *, sessions: async_sessionmaker[AsyncSession], viewer_id: uuid.UUID | None
) -> tuple[uuid.UUID, ...]:
    """The share groups the viewer is in, read from SQL on each search: a member removed
    from a group stops finding its videos at once, whatever the index holds."""
    if viewer_id is None:
        return ()
    async with sessions() as session:
        return tuple(sorted(await member_group_ids(session, viewer_id)))
