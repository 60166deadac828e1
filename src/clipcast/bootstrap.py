"""Composition root: settings -> adapters. The only place that branches on backend names."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from clipcast.adapters.bus.base import Bus
from clipcast.adapters.chat.base import ChatStore
from clipcast.adapters.counters.base import Counters
from clipcast.adapters.search.base import SearchIndex
from clipcast.adapters.storage.base import ObjectStorage
from clipcast.db import models as _all_tables  # noqa: F401 - every table known, whichever role runs
from clipcast.db.session import make_engine, make_sessionmaker
from clipcast.ops.metrics import Metrics
from clipcast.settings import BusBackend, Settings, StorageBackend
from clipcast.transcoding.deps import TranscodeDeps


@dataclass
class Adapters:
    """Everything with I/O that services need, built once per process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    storage: ObjectStorage
    bus: Bus
    secret: bytes
    search: SearchIndex
    counters: Counters
    chat: ChatStore = field(default_factory=lambda: build_chat(None), kw_only=True)
    metrics: Metrics = field(default_factory=Metrics, kw_only=True)

    async def close(self) -> None:
        await self.bus.close()  # first: its consumers may still use storage and the database
        await self.search.close()
        await self.counters.close()
        await self.chat.close()
        await self.storage.close()
        await self.engine.dispose()


def build_storage(settings: Settings) -> ObjectStorage:
    if settings.storage_backend is StorageBackend.S3:
        from clipcast.adapters.storage.s3 import S3Storage

        return S3Storage(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
        )
    from clipcast.adapters.storage.local import LocalStorage

    return LocalStorage(settings.media_dir)


def build_bus(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Bus:
    if settings.bus_backend is BusBackend.NATS:
        from clipcast.adapters.bus.nats import NatsBus

        return NatsBus(settings.nats_url, prefix=settings.nats_prefix)
    from clipcast.adapters.bus.local import LocalBus

    return LocalBus(sessions)


def build_search(settings: Settings) -> SearchIndex:
    from clipcast.adapters.search.tantivy import TantivyIndex

    directory = settings.resolved_search_dir()
    index = TantivyIndex(directory)
    if settings.search_readers:
        from clipcast.adapters.search.readers import ReaderPool

        return ReaderPool(index, directory, settings.search_readers)
    return index


def build_counters(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Counters:
    if settings.redis_url:
        from clipcast.adapters.counters.redis import RedisCounters

        return RedisCounters(settings.redis_url, prefix=settings.redis_prefix)
    from clipcast.adapters.counters.sql import SqlCounters

    return SqlCounters(sessions)


def build_chat(settings: Settings | None) -> ChatStore:
    """Live chat's brief store: Redis when configured (every API process shares it), else
    this process's memory."""
    if settings is not None and settings.redis_url:
        from clipcast.adapters.chat.redis import RedisChatStore

        return RedisChatStore(settings.redis_url, prefix=settings.redis_prefix)
    from clipcast.adapters.chat.memory import MemoryChatStore

    return MemoryChatStore()


def load_secret(settings: Settings) -> bytes:
    """The signing key: from settings, or generated once and kept beside the embedded data."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)


def build_adapters(settings: Settings) -> Adapters:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for directory in (settings.upload_dir, settings.work_dir):
        directory.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    return Adapters(
        settings=settings,
        engine=engine,
        sessions=sessions,
        storage=build_storage(settings),
        bus=build_bus(settings, sessions),
        secret=load_secret(settings),
        search=build_search(settings),
        counters=build_counters(settings, sessions),
        chat=build_chat(settings),
    )


def transcode_deps(adapters: Adapters) -> TranscodeDeps:
    """The part of the adapters that transcoding uses."""
    return TranscodeDeps(
        sessions=adapters.sessions,
        storage=adapters.storage,
        settings=adapters.settings,
        job_seconds=adapters.metrics.job_seconds,
    )
