"""Health, readiness, metrics and request ids."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from clipcast.bootstrap import Adapters
from clipcast.ops.logs import JsonFormatter, job_id, request_id


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_each_backend(client: httpx.AsyncClient) -> None:
    body = (await client.get("/readyz")).json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "ok"


async def test_readyz_is_503_when_a_backend_is_down(
    client: httpx.AsyncClient, adapters: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> None:
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(adapters.storage, "check", broken)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert "storage unreachable" in response.json()["checks"]["storage"]


async def test_metrics_report_latency_by_route_and_queue_depth(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/videos")
    await client.get("/api/v1/videos/00000000-0000-4000-8000-000000000000")
    text = (await client.get("/metrics")).text
    assert (
        'clipcast_http_request_seconds_count{method="GET",route="/api/v1/videos",status="200"} 1.0'
        in text
    )
    assert 'route="/api/v1/videos/{video_id}",status="404"' in text
    assert "clipcast_outbox_pending_events 0.0" in text
    assert "clipcast_outbox_lag_seconds" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_log_lines_are_json_with_the_ids_in_context() -> None:
    record = logging.LogRecord(
        "clipcast.x", logging.INFO, __file__, 1, "hello %s", ("world",), None
    )
    r_token, j_token = request_id.set("req-1"), job_id.set("job-9")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(r_token)
        job_id.reset(j_token)
    assert line["msg"] == "hello world"
    assert (line["request_id"], line["job_id"], line["level"]) == ("req-1", "job-9", "info")
