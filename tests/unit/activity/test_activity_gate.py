"""The ingest gate: a bounded number at work, a bounded queue, the rest told to retry."""

from __future__ import annotations

import asyncio

import pytest

from clipcast.activity.gate import IngestGate
from clipcast.core.errors import TooManyRequests


async def test_beyond_the_queue_callers_are_told_to_retry_and_queued_ones_get_through() -> None:
    gate = IngestGate(running=2, waiting=1)
    release = asyncio.Event()
    done: list[int] = []

    async def writer(n: int) -> None:
        async with gate.slot():
            await release.wait()
            done.append(n)

    working = [asyncio.create_task(writer(n)) for n in range(3)]  # two at work, one queued
    await asyncio.sleep(0)
    with pytest.raises(TooManyRequests) as refused:
        async with gate.slot():
            pass
    assert (refused.value.code, refused.value.retry_after) == ("server_busy", 1)
    release.set()
    await asyncio.gather(*working)
    assert sorted(done) == [0, 1, 2]
    async with gate.slot():  # free again
        done.append(3)
    assert done[-1] == 3
