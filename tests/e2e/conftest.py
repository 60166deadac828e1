"""Fixtures of the multi-process tests: one scaled deployment's shared settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cluster import scaled_environment
from tests.nats_server import NATS_URL, require_nats, unique_prefix
from tests.seaweedfs import SeaweedFS


@pytest.fixture
def scaled_base_env(
    tmp_path: Path, database_url_postgres: str, seaweedfs: SeaweedFS
) -> Iterator[dict[str, str]]:
    """PostgreSQL, a bucket of this test's own on SeaweedFS, NATS with this test's own prefix."""
    require_nats()
    with seaweedfs.temporary_bucket("e2e") as bucket:
        yield scaled_environment(
            database_url=database_url_postgres,
            s3_url=seaweedfs.s3_url,
            bucket=bucket,
            nats_url=NATS_URL,
            prefix=unique_prefix(),
            search_dir=tmp_path / "search-node",
        )
