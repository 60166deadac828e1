"""The batch loop on a site with nothing to learn from yet: one refresh at start, then it
waits. It used to start again at once whenever no model was stored, so a new, empty
`clipcast serve` spent three quarters of a core refreshing nothing, thousands of times."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from clipcast.bootstrap import Adapters
from clipcast.recommendations import service, worker
from clipcast.recommendations.service import RecsConfig


async def test_an_empty_site_refreshes_once_then_waits(
    adapters: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = service.refresh_all

    async def counted(**kwargs: Any) -> dict[str, float]:
        nonlocal calls
        calls += 1
        return await real(**kwargs)

    monkeypatch.setattr(service, "refresh_all", counted)
    stop = asyncio.Event()
    loop = asyncio.create_task(
        worker.run_batches(
            sessions=adapters.sessions,
            counters=adapters.counters,
            storage=adapters.storage,
            config=RecsConfig(),
            stop=stop,
        )
    )
    for _ in range(200):  # the first refresh, then time for many more if it spun
        await asyncio.sleep(0.01)
    stop.set()
    await loop
    assert calls == 1
