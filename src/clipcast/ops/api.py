"""Routes of operations: /healthz, /readyz, /metrics; and the request-id + latency middleware."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from clipcast.core.clock import utcnow
from clipcast.ops import logs
from clipcast.ops.service import bus_report, check_database, fill_gauges, run_checks
from clipcast.web.deps import AdaptersDep

router = APIRouter(tags=["ops"])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(adapters: AdaptersDep) -> JSONResponse:
    """Every backend this process uses answers; 503 with the failing ones otherwise. `bus`
    says what the bus client sees: connected or not, and the outbox rows not yet published."""
    checks: dict[str, Callable[[], Awaitable[None]]] = {
        "database": lambda: check_database(adapters.sessions),
        "storage": adapters.storage.check,
    }
    for name in ("bus", "search"):
        if (backend := getattr(adapters, name, None)) is not None:
            checks[name] = backend.check
    results = await run_checks(checks)
    ready = all(v == "ok" for v in results.values())
    bus = await bus_report(
        adapters.sessions,
        backend=adapters.settings.bus_backend,
        connected=results.get("bus") == "ok",
        now=utcnow(),
    )
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": results, "bus": bus},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def metrics(adapters: AdaptersDep) -> Response:
    await fill_gauges(adapters.sessions, adapters.metrics, utcnow())
    return Response(
        adapters.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


def install_request_middleware(app: FastAPI) -> None:
    """Every request gets an id (the caller's X-Request-ID if sane) in its logs and response."""

    @app.middleware("http")
    async def _observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = logs.request_id.set(rid)
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers["X-Request-ID"] = rid
            return response
        finally:
            adapters = getattr(request.app.state, "adapters", None)
            if adapters is not None:
                adapters.metrics.request_seconds.labels(
                    method=request.method, route=_route_of(request), status=str(status)
                ).observe(time.perf_counter() - start)
            logs.request_id.reset(token)


def _route_of(request: Request) -> str:
    """The route template (`/api/v1/videos/{video_id}`), so ids don't explode label counts."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))
