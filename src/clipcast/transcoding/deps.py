"""What transcoding needs from the composition root, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clipcast.adapters.storage.base import ObjectStorage
from clipcast.settings import Settings


@dataclass(frozen=True)
class TranscodeDeps:
    """The database, object storage, the transcoding settings and the job-duration metric."""

    sessions: async_sessionmaker[AsyncSession]
    storage: ObjectStorage
    settings: Settings
    job_seconds: Histogram
