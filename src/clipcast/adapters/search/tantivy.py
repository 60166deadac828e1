"""The search index on tantivy: one directory per search node, one writer per process.

tantivy calls block (disk, merges, scoring), so every call runs in a worker thread. Writes
are serialised by a lock, since tantivy allows one writer per directory; the writer is only
opened on the first write, so read-only processes may share a directory with the one that
writes, and pick up its commits through tantivy's reload-on-commit watch.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import FieldType, Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from clipcast.adapters.search.base import (
    Filters,
    IndexLocked,
    SearchDoc,
    Searcher,
    SearchHit,
    SearchPage,
    SearchQuery,
    SortOrder,
    T,
    TermMatch,
    TextField,
)

# A schema change gets a new directory, which a search node fills from SQL when it starts
# (runtime._fill_new_index) or `clipcast search reindex` fills.
# 3: share groups and key versions; 4: title and tag words as written, for typos.
SCHEMA_VERSION = 5  # 5: `live`
_STEM, _PLAIN, _KEYWORD = "clipcast_stem", "clipcast_plain", "clipcast_keyword"
_MAX_TOKEN_CHARS = 40  # longer "words" are noise (hashes, URLs) and bloat the dictionary

# Exact matches go to the stemmed fields, so "lessons" finds "lesson". Typos and prefixes go
# to the words as written: a misspelt or half-typed word is compared with what people type,
# and the stem is often further from it than the word ("cookng" is one edit from "cooking"
# but two from "cook"; "runn" is no prefix of "run"). Descriptions have no unstemmed copy:
# they are never searched with typos or prefixes (query.FUZZY_FIELDS, PREFIX_FIELDS), and a
# copy of the biggest field would cost more than it could give.
_EXACT = {
    TextField.TITLE: "title",
    TextField.TAGS: "tags",
    TextField.DESCRIPTION: "description",
    TextField.OWNER: "owner_name",
}
_WRITTEN = {**_EXACT, TextField.TITLE: "title_plain", TextField.TAGS: "tags_plain"}
# Every start of every title and tag word, up to this long, is a term of its own, so a word
# being typed is one term lookup; walking the dictionary for all the words that start with it
# cost about half of a whole search (bench/search.py). Longer starts, rare and shared by few
# words, still walk the dictionary.
_MIN_PREFIX_CHARS, _MAX_PREFIX_CHARS = 2, 12  # one letter is no word being typed yet
_STARTS = {TextField.TITLE: "title_prefix", TextField.TAGS: "tags_prefix"}
_ANALYZER_OF = {
    "title": _STEM,
    "title_plain": _PLAIN,
    "description": _STEM,
    "tags": _STEM,
    "tags_plain": _PLAIN,
    "tag": _KEYWORD,
    "owner_name": _PLAIN,
    "owner_key": _KEYWORD,
}
_ORDER_BY = {SortOrder.DATE: "created_at", SortOrder.POPULARITY: "popularity"}


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def words() -> TextAnalyzerBuilder:
        return (
            TextAnalyzerBuilder(Tokenizer.simple())
            .filter(Filter.remove_long(_MAX_TOKEN_CHARS))
            .filter(Filter.lowercase())
            .filter(Filter.ascii_fold())
        )

    keyword = TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase())
    return {
        _STEM: words().filter(Filter.stemmer("english")).build(),
        _PLAIN: words().build(),
        _KEYWORD: keyword.filter(Filter.ascii_fold()).build(),
    }


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title", stored=True, tokenizer_name=_STEM)
    # Typo and prefix matches score a constant: these need documents, not counts or positions.
    builder.add_text_field("title_plain", tokenizer_name=_PLAIN, index_option="basic")
    builder.add_text_field("tags_plain", tokenizer_name=_PLAIN, index_option="basic")
    builder.add_text_field("title_prefix", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("tags_prefix", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("description", stored=True, tokenizer_name=_STEM)
    builder.add_text_field("tags", stored=True, tokenizer_name=_STEM)
    builder.add_text_field("tag", tokenizer_name=_KEYWORD, index_option="basic")
    builder.add_text_field("owner_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("owner_name", stored=True, tokenizer_name=_PLAIN)
    builder.add_text_field("owner_key", tokenizer_name=_KEYWORD, index_option="basic")
    builder.add_text_field("visibility", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_boolean_field("listed", indexed=True)
    builder.add_text_field("group", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("key_version", stored=True)
    builder.add_boolean_field("live", stored=True)
    builder.add_date_field("created_at", stored=True, indexed=True, fast=True)
    # The same moment as an integer: tantivy reads only numeric fast fields back for ties.
    builder.add_integer_field("created_ts", fast=True)
    builder.add_float_field("duration", stored=True, indexed=True, fast=True)
    builder.add_float_field("popularity", stored=True, indexed=True, fast=True)
    builder.add_bytes_field("thumbnails", stored=True, indexed=False)  # JSON text
    return builder.build()


class TantivyIndex:
    """A `SearchIndex` in `directory`/v{SCHEMA_VERSION}."""

    def __init__(
        self, directory: Path, *, writer_heap_bytes: int = 256_000_000, writer_threads: int = 1
    ) -> None:
        self._directory = directory / f"v{SCHEMA_VERSION}"
        # One indexing thread with room for a whole rebuild of a mid-sized site: `search
        # reindex` of 100,000 videos then lands as one segment, which searches a quarter
        # faster than the six that two threads with 64 MB left (bench/search.py); the rate
        # is the same, bound by building documents in Python. The heap is a ceiling, not
        # memory taken up front.
        self._heap = writer_heap_bytes
        self._threads = writer_threads  # 0: one per core
        self._schema = build_schema()
        self._analyzers = _analyzers()
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()

    # Port (async): each call is one hop to a worker thread.

    async def upsert(self, docs: Sequence[SearchDoc], *, commit: bool = True) -> None:
        await asyncio.to_thread(self.upsert_sync, docs, commit=commit)

    async def delete(self, video_ids: Sequence[uuid.UUID], *, commit: bool = True) -> None:
        await asyncio.to_thread(self._write, lambda w: _delete_ids(w, video_ids), commit)

    async def clear(self, *, commit: bool = True) -> None:
        await asyncio.to_thread(self._write, lambda w: w.delete_all_documents(), commit)

    async def commit(self) -> None:
        await asyncio.to_thread(self._write, lambda _w: None, True)

    async def rollback(self) -> None:
        await asyncio.to_thread(self._rollback)

    async def start(self) -> None:
        await asyncio.to_thread(self._opened)

    async def search(self, query: SearchQuery) -> SearchPage:
        return await asyncio.to_thread(self.search_sync, query)

    async def suggest(self, query: SearchQuery) -> list[str]:
        return await asyncio.to_thread(self.suggest_sync, query)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, self.searcher(), *args)

    def searcher(self) -> Searcher:
        """This index's blocking reads, as `run` hands them to the function it runs."""
        return _BlockingSearcher(self)

    async def count(self) -> int:
        return await asyncio.to_thread(lambda: self._opened().searcher().num_docs)

    async def check(self) -> None:
        await self.count()

    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)

    # Blocking work, also used directly by bench/search.py.

    def upsert_sync(self, docs: Sequence[SearchDoc], *, commit: bool = True) -> None:
        built = [self._document(d) for d in docs]  # outside the lock: pure CPU

        def apply(writer: tantivy.IndexWriter) -> None:
            # A delete applies to documents added before it, so the new copy survives.
            _delete_ids(writer, [d.video_id for d in docs])
            for doc in built:
                writer.add_document(doc)

        self._write(apply, commit)

    def search_sync(self, query: SearchQuery) -> SearchPage:
        searcher = self._opened().searcher()
        order = _ORDER_BY.get(query.sort)
        if order is None:
            # Everything up to the page, so ties can be broken the same way on every node.
            result = searcher.search(
                self._compile(query, searcher), limit=query.offset + query.limit, count=True
            )
            ranked = _break_ties(searcher, result.hits)[query.offset :]
        else:
            result = searcher.search(
                self._compile(query, searcher),
                limit=query.limit,
                count=True,
                order_by_field=order,
                offset=query.offset,
            )
            ranked = [(None, address) for _value, address in result.hits]
        hits = [_hit(searcher.doc(address), score) for score, address in ranked]
        # `count` is returned when asked for, but missing from tantivy's type stubs.
        total: int = getattr(result, "count", None) or len(hits)
        return SearchPage(hits=hits, total=total)

    def suggest_sync(self, query: SearchQuery) -> list[str]:
        searcher = self._opened().searcher()
        # Several videos share a title ("Intro"): ask for more than needed, keep distinct ones.
        result = searcher.search(self._compile(query, searcher), limit=query.limit * 3, count=False)
        seen: dict[str, str] = {}
        for _score, address in _break_ties(searcher, result.hits):
            title = str(searcher.doc(address).get_first("title") or "")
            seen.setdefault(title.casefold(), title)
            if len(seen) == query.limit:
                break
        return list(seen.values())

    # Opening and writing.

    def _opened(self) -> tantivy.Index:
        index = self._index
        if index is not None:
            return index
        with self._open_lock:
            if self._index is None:
                self._directory.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(self._schema, path=str(self._directory), reuse=True)
                for name, analyzer in self._analyzers.items():
                    index.register_tokenizer(name, analyzer)
                index.config_reader(reload_policy="commit")
                self._index = index
            return self._index

    def _write(self, apply: Callable[[tantivy.IndexWriter], Any], commit: bool) -> None:
        index = self._opened()
        with self._write_lock:
            if self._writer is None:
                try:
                    self._writer = index.writer(heap_size=self._heap, num_threads=self._threads)
                except ValueError as exc:  # tantivy's LockBusy
                    raise IndexLocked(f"{self._directory} is locked by another writer") from exc
            apply(self._writer)
            if commit:
                self._writer.commit()
                # Our own searches see the commit now, not at the next reload tick.
                index.reload()

    def _rollback(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.rollback()

    def close_sync(self) -> None:
        """Let running merges finish, release the writer's lock, and read the merged index."""
        with self._write_lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                writer.wait_merging_threads()
                self._opened().reload()

    def segment_count(self) -> int:
        return self._opened().searcher().num_segments

    # Translating documents and queries.

    def _document(self, d: SearchDoc) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", str(d.video_id))
        doc.add_text("title", d.title)
        doc.add_text("title_plain", d.title)
        doc.add_text("description", d.description)
        for tag in d.tags:
            doc.add_text("tags", tag)
            doc.add_text("tags_plain", tag)
            doc.add_text("tag", tag)
        plain = self._analyzers[_PLAIN]
        for start in _starts(plain.analyze(d.title)):
            doc.add_text("title_prefix", start)
        for start in _starts(word for tag in d.tags for word in plain.analyze(tag)):
            doc.add_text("tags_prefix", start)
        doc.add_text("owner_id", str(d.owner_id))
        doc.add_text("owner_name", d.owner_name)
        doc.add_text("owner_key", d.owner_name)
        doc.add_text("visibility", d.visibility)
        doc.add_boolean("listed", d.listed)
        for group_id in d.groups:
            doc.add_text("group", str(group_id))
        doc.add_integer("key_version", d.key_version)
        doc.add_boolean("live", d.live)
        doc.add_date("created_at", d.created_at)
        doc.add_integer("created_ts", int(d.created_at.timestamp()))
        doc.add_float("duration", d.duration)
        doc.add_float("popularity", d.popularity)
        if d.thumbnails:
            doc.add_bytes("thumbnails", d.thumbnails.encode())
        return doc

    def _first_token(self, analyzer: str, text: str) -> str | None:
        tokens = self._analyzers[analyzer].analyze(text)
        return tokens[0] if tokens else None

    def _compile(self, query: SearchQuery, searcher: tantivy.Searcher) -> Query:
        # Filters score nothing: only the words decide the order.
        filters = [Query.const_score_query(f, 0.0) for f in self._filters(query)]
        words = self._words(query, searcher)
        clauses = [(Occur.Must, words), *((Occur.Must, f) for f in filters)]
        return Query.boolean_query(clauses)

    def _words(self, query: SearchQuery, searcher: tantivy.Searcher) -> Query:
        groups = [g for t in query.terms if (g := self._term(t, query, searcher)) is not None]
        if not groups:
            return Query.all_query()
        if len(groups) == 1:
            return groups[0]
        need = min(query.min_should_match, len(groups))
        if need == len(groups):
            # Every word required: an intersection, which skips along the rarest word's
            # postings, is far cheaper than counting matches per document.
            return Query.boolean_query([(Occur.Must, g) for g in groups])
        return Query.boolean_query(
            [(Occur.Should, g) for g in groups], minimum_number_should_match=need
        )

    def _term(
        self, term: TermMatch, query: SearchQuery, searcher: tantivy.Searcher
    ) -> Query | None:
        # Each analyzer once per word: the fields share them.
        tokens = {name: self._first_token(name, term.text) for name in (_STEM, _PLAIN)}
        parts: list[Query] = []
        for weighted in query.fields:
            exact_field = _EXACT[weighted.field]
            if token := tokens[_ANALYZER_OF[exact_field]]:
                exact = Query.term_query(self._schema, exact_field, token)
                parts.append(Query.boost_query(exact, weighted.boost))
                if term.distance and weighted.field in query.fuzzy_fields:
                    parts.extend(
                        Query.boost_query(fuzzy, weighted.boost * query.fuzzy_weight)
                        for fuzzy in self._fuzzy(weighted.field, term, query, tokens, searcher)
                    )
            if (
                term.prefix
                and weighted.field in query.prefix_fields
                and (prefix := self._prefix(weighted.field, tokens))
            ):
                parts.append(Query.boost_query(prefix, weighted.boost * query.prefix_weight))
        if not parts:
            return None
        return Query.boolean_query([(Occur.Should, p) for p in parts])

    def _fuzzy(
        self,
        field: TextField,
        term: TermMatch,
        query: SearchQuery,
        tokens: dict[str, str | None],
        searcher: tantivy.Searcher,
    ) -> list[Query]:
        """Typo matches of the word in `field`: the word as typed against the words as
        written and, for an inflected word, its stem against their stems. None when the field
        holds the word itself (as typed, or by its stem): then it is taken as meant there,
        and walking the dictionary for its neighbours is most of a typo search's cost."""
        exact_field, written_field = _EXACT[field], _WRITTEN[field]
        stem, written = tokens[_ANALYZER_OF[exact_field]], tokens[_ANALYZER_OF[written_field]]
        if not stem or not written:
            return []
        if searcher.doc_freq(exact_field, stem) or searcher.doc_freq(written_field, written):
            return []
        out = [Query.fuzzy_term_query(self._schema, written_field, written, distance=term.distance)]
        stem_typos = min(term.distance, query.stem_typos)
        if stem_typos and stem != written and exact_field != written_field:
            out.append(Query.fuzzy_term_query(self._schema, exact_field, stem, distance=stem_typos))
        return out

    def _prefix(self, field: TextField, tokens: dict[str, str | None]) -> Query | None:
        """Documents with a word of `field` that starts with the word being typed, each
        scoring the same (how much of the word is typed says nothing about relevance)."""
        start = tokens[_PLAIN]
        if start and field in _STARTS and _MIN_PREFIX_CHARS <= len(start) <= _MAX_PREFIX_CHARS:
            term = Query.term_query(self._schema, _STARTS[field], start)
            return Query.const_score_query(term, 1.0)
        prefix_field = _WRITTEN[field]
        if token := tokens[_ANALYZER_OF[prefix_field]]:
            return Query.fuzzy_term_query(
                self._schema, prefix_field, token, distance=0, prefix=True
            )
        return None

    def _filters(self, query: SearchQuery) -> list[Query]:
        f: Filters = query.filters
        out = [self._visible(query.visible_to, query.visible_groups)]
        if f.duration_min is not None or f.duration_max is not None:
            out.append(
                Query.range_query(
                    self._schema, "duration", FieldType.Float, f.duration_min, f.duration_max
                )
            )
        if f.uploaded_after is not None or f.uploaded_before is not None:
            out.append(
                Query.range_query(
                    self._schema, "created_at", FieldType.Date, f.uploaded_after, f.uploaded_before
                )
            )
        for tag in f.tags:
            out.append(self._keyword("tag", tag))
        if f.owner is not None:
            out.append(self._keyword("owner_key", f.owner))
        return out

    def _keyword(self, field: str, value: str) -> Query:
        token = self._first_token(_ANALYZER_OF[field], value)
        return Query.term_query(self._schema, field, token) if token else Query.empty_query()

    def _visible(self, viewer: uuid.UUID | None, groups: Sequence[uuid.UUID]) -> Query:
        listed = Query.term_query(self._schema, "listed", True)
        if viewer is None:
            return listed
        own = Query.term_query(self._schema, "owner_id", str(viewer))
        shared = [Query.term_query(self._schema, "group", str(g)) for g in groups]
        return Query.boolean_query([(Occur.Should, q) for q in (listed, own, *shared)])


class _BlockingSearcher:
    def __init__(self, index: TantivyIndex) -> None:
        self.search = index.search_sync
        self.suggest = index.suggest_sync


def _break_ties(
    searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]]
) -> list[tuple[float | None, tantivy.DocAddress]]:
    """Equal scores are common (a prefix or typo match scores a constant); tantivy orders
    them by where documents sit in segments, which differs between nodes and after a
    rebuild. More popular, then newer, first is stable and what a viewer would prefer."""
    addresses = [address for _score, address in hits]
    popularity = searcher.fast_field_values("popularity", addresses)
    created = searcher.fast_field_values("created_ts", addresses)
    keyed = [
        ((-round(float(score), 4), -float(pop or 0.0), -int(ts or 0)), float(score), address)
        for (score, address), pop, ts in zip(hits, popularity, created, strict=True)
    ]
    keyed.sort(key=lambda row: row[0])
    return [(score, address) for _key, score, address in keyed]


def _starts(words: Iterable[str]) -> set[str]:
    """Every start of every word, `_MIN_PREFIX_CHARS` to `_MAX_PREFIX_CHARS` long."""
    return {
        w[:n] for w in words for n in range(_MIN_PREFIX_CHARS, min(len(w), _MAX_PREFIX_CHARS) + 1)
    }


def _delete_ids(writer: tantivy.IndexWriter, video_ids: Sequence[uuid.UUID]) -> None:
    for video_id in video_ids:
        writer.delete_documents_by_term("id", str(video_id))


def _hit(doc: tantivy.Document, score: float | None) -> SearchHit:
    fields: dict[str, list[Any]] = doc.to_dict()

    def first(name: str, default: Any = "") -> Any:
        values = fields.get(name)
        return values[0] if values else default

    return SearchHit(
        video_id=uuid.UUID(first("id")),
        title=first("title"),
        description=first("description"),
        tags=tuple(fields.get("tags", ())),
        owner_id=uuid.UUID(first("owner_id")),
        owner_name=first("owner_name"),
        visibility=first("visibility"),
        created_at=first("created_at"),
        duration=float(first("duration", 0.0)),
        popularity=float(first("popularity", 0.0)),
        score=score,
        thumbnails=first("thumbnails", b"").decode(),
        key_version=int(first("key_version", 0)),
        live=bool(first("live", False)),
    )
