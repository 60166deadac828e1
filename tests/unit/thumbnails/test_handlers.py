"""`video.ready` reaches the thumbnailer; an event without a video id is acknowledged and logged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from clipcast.adapters.bus.base import Event
from clipcast.thumbnails import handlers

VIDEO = uuid.UUID("8f7a4f58-7f55-4a44-9a53-1c7ef7c6f0aa")


def _event(payload: dict[str, Any]) -> Event:
    return Event(
        id=uuid.uuid4(), topic="video.ready", payload=payload, created_at=datetime.now(UTC)
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[uuid.UUID]:
    seen: list[uuid.UUID] = []

    async def fake(**kwargs: Any) -> None:
        seen.append(kwargs["video_id"])

    monkeypatch.setattr(handlers, "make_thumbnails", fake)
    return seen


async def test_the_video_of_the_event_gets_thumbnails(calls: list[uuid.UUID]) -> None:
    await handlers.handle_video_ready(
        _event({"video_id": str(VIDEO)}),
        sessions=None,
        storage=None,
        settings=None,  # type: ignore[arg-type]
    )
    assert calls == [VIDEO]


@pytest.mark.parametrize("payload", [{}, {"video_id": "not-a-uuid"}, {"video_id": None}])
async def test_an_event_without_a_video_is_acknowledged(
    calls: list[uuid.UUID], payload: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    await handlers.handle_video_ready(
        _event(payload),
        sessions=None,
        storage=None,
        settings=None,  # type: ignore[arg-type]
    )
    assert calls == []
    assert "names no video" in caplog.text
