"""The search index port: documents in, ranked pages out, with the query given as plain data.

The query is built by `clipcast.search.query` (pure): which words, how many typos each may
carry, which fields weigh what, and who is asking. An adapter only translates it; it holds
no ranking policy and no access rule of its own beyond "listed, owned by `visible_to`, or
shared with one of `visible_groups`".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class TextField(StrEnum):
    """The searchable text of a video."""

    TITLE = "title"
    TAGS = "tags"
    DESCRIPTION = "description"
    OWNER = "owner"


class SortOrder(StrEnum):
    RELEVANCE = "relevance"
    DATE = "date"  # newest first
    POPULARITY = "popularity"  # most popular first


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One video as the index holds it."""

    video_id: uuid.UUID
    title: str
    description: str
    tags: tuple[str, ...]
    owner_id: uuid.UUID
    owner_name: str
    visibility: str
    listed: bool  # found by anyone; otherwise only by its owner
    created_at: datetime
    duration: float  # seconds; 0 when unknown
    popularity: float = 0.0
    # What a results card shows (poster, hover preview): JSON as the API shapes it, each URL
    # starting with a mark for the video's media root (search.documents): stored, not searched.
    thumbnails: str = ""
    groups: tuple[uuid.UUID, ...] = ()  # share groups whose members find it (visibility group)
    key_version: int = 0  # signs its media URLs, as the video row's (cdn.signing)
    live: bool = False  # a live stream on the air (shown as LIVE): stored, not searched


@dataclass(frozen=True, slots=True)
class TermMatch:
    """One word of the query: matched exactly (after stemming), within `distance` typos of
    the words as written, and, when `prefix`, as the start of longer words (the word being
    typed)."""

    text: str
    distance: int = 0
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class FieldBoost:
    field: TextField
    boost: float


@dataclass(frozen=True, slots=True)
class Filters:
    """Every bound is inclusive; None means unbounded. All tags must be present."""

    duration_min: float | None = None
    duration_max: float | None = None
    uploaded_after: datetime | None = None
    uploaded_before: datetime | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None  # username


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to find; `terms` empty matches every document that passes the filters.

    A document matches when at least `min_should_match` terms match it, in any field of
    `fields`. An exact term scores its field's BM25 times the boost; a typo match (only in
    `fuzzy_fields`, and only for words the field holds neither as typed nor by their stem)
    scores a constant `boost * fuzzy_weight`, a prefix match (only in `prefix_fields`)
    `boost * prefix_weight`. A word with typos is compared with the words as written; an
    inflected one (a word the index's stemmer shortens) also has its stem compared with theirs,
    within `min(distance, stem_typos)`.
    Only documents that are listed, owned by `visible_to`, or shared with one of
    `visible_groups` (the share groups `visible_to` is a member of), are returned.
    """

    terms: tuple[TermMatch, ...] = ()
    min_should_match: int = 1
    fields: tuple[FieldBoost, ...] = ()
    fuzzy_weight: float = 0.3
    fuzzy_fields: frozenset[TextField] = field(default_factory=frozenset)
    prefix_weight: float = 0.5
    prefix_fields: frozenset[TextField] = field(default_factory=frozenset)
    stem_typos: int = 0
    filters: Filters = Filters()
    visible_to: uuid.UUID | None = None
    visible_groups: tuple[uuid.UUID, ...] = ()
    sort: SortOrder = SortOrder.RELEVANCE
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True, slots=True)
class SearchHit:
    video_id: uuid.UUID
    title: str
    description: str
    tags: tuple[str, ...]
    owner_id: uuid.UUID
    owner_name: str
    visibility: str
    created_at: datetime
    duration: float
    popularity: float
    score: float | None  # relevance; None when sorted by date or popularity
    thumbnails: str = ""  # as in SearchDoc
    key_version: int = 0  # as in SearchDoc
    live: bool = False  # as in SearchDoc


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    total: int


class IndexLocked(RuntimeError):
    """Another process writes this index directory: each search node needs its own."""


class Searcher(Protocol):
    """Blocking reads of an index, for a use case that runs whole where the index is read."""

    def search(self, query: SearchQuery) -> SearchPage: ...

    def suggest(self, query: SearchQuery) -> list[str]: ...


class SearchIndex(Protocol):
    """A full-text index of videos, kept in step by the bus and rebuildable from SQL.

    Writes are visible to searches of this process when they return (with `commit=True`);
    other processes reading the same directory see them within about a second. Staged
    writes (`commit=False`) become visible together at the next `commit()`: a rebuild is
    `clear(commit=False)`, upserts, then `commit()`, so readers never see it half done.
    """

    async def upsert(self, docs: Sequence[SearchDoc], *, commit: bool = True) -> None:
        """Add the documents, replacing any with the same video id."""

    async def delete(self, video_ids: Sequence[uuid.UUID], *, commit: bool = True) -> None:
        """Remove the documents of these videos; unknown ids are ignored."""

    async def clear(self, *, commit: bool = True) -> None:
        """Remove every document."""

    async def commit(self) -> None:
        """Make staged writes durable and visible."""

    async def rollback(self) -> None:
        """Drop staged writes (a rebuild that failed half way must not be committed later)."""

    async def start(self) -> None:
        """Be ready to answer (open the index, start any readers) before the first search."""

    async def search(self, query: SearchQuery) -> SearchPage:
        """One page of matching documents, best first, and how many match in all."""

    async def suggest(self, query: SearchQuery) -> list[str]:
        """Titles of the best matches, best first, without repeats, at most `query.limit`."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(searcher, *args)`, blocking, where reading is cheapest: a worker thread, or a
        reader process (so `fn`, its arguments and its result must pickle). A use case that
        searches more than once and then formats the results pays one hop, not several, and
        its Python work does not queue behind this process's other work for the GIL."""

    async def count(self) -> int:
        """How many documents the index holds."""

    async def check(self) -> None:
        """Raise if the index cannot be opened or read (for /readyz and start-up)."""

    async def close(self) -> None:
        """Commit nothing further; release the writer and its lock."""
