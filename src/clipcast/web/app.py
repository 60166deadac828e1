"""The FastAPI application: API routes, CDN route, pages, and (in `serve`) the workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from clipcast import __version__
from clipcast.accounts.api import router as auth_router
from clipcast.activity.api import router as activity_router
from clipcast.bootstrap import Adapters, build_adapters
from clipcast.cdn.asgi import CdnRoute, MediaServer
from clipcast.cdn.wiring import running_cdn
from clipcast.comments.api import router as comments_router
from clipcast.groups.api import router as groups_router
from clipcast.live.api import router as live_router
from clipcast.live.chat_api import router as live_chat_router
from clipcast.live.chat_wiring import chat_source
from clipcast.live.chat_ws import router as live_chat_ws_router
from clipcast.live.hub import LiveHub
from clipcast.live.ws import router as live_ws_router
from clipcast.ops.api import install_request_middleware
from clipcast.ops.api import router as ops_router
from clipcast.recommendations.api import router as recs_router
from clipcast.runtime import Role, expand, run_roles
from clipcast.search.api import router as search_router
from clipcast.settings import Settings
from clipcast.studio.api import router as studio_router
from clipcast.thumbnails.api import router as thumbnails_router
from clipcast.uploads.api import router as uploads_router
from clipcast.videos.api import router as videos_router
from clipcast.web.errors import install_error_handlers

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    adapters: Adapters | None = None,
    *,
    run_workers: bool | None = None,
    roles: set[Role] | None = None,
) -> FastAPI:
    """Build the app; adapters are made at start-up unless given (tests pass their own).

    `roles` run in-process beside the API: `serve` runs them all, `api` only the outbox relay,
    tests none (`run_workers=False`) unless they ask.
    """
    settings = settings or (adapters.settings if adapters else Settings())
    workers = settings.run_workers if run_workers is None else run_workers
    if roles is None:
        roles = expand([Role.ALL, Role.RELAY]) if workers else set()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = adapters is None
        app.state.adapters = adapters or build_adapters(settings)
        app.state.live.chat = chat_source(app.state.adapters.chat)  # chat in clip documents
        await app.state.adapters.storage.check()  # fail fast; S3 creates its bucket here
        await app.state.adapters.search.start()  # search readers up before the first search
        stop = asyncio.Event()
        running = asyncio.create_task(run_roles(app.state.adapters, roles, stop))
        try:
            async with _cdn(app, follow_bus=bool(roles)) as app.state.cdn:
                yield
        finally:
            stop.set()
            await running
            if owned:
                await app.state.adapters.close()

    app = FastAPI(title="clipcast", version=__version__, lifespan=lifespan)
    # Live streams held by this process; the CDN route tells it which clip documents it served.
    app.state.live = LiveHub()
    app.state.cdn_observers = [app.state.live.tally.served]
    install_error_handlers(app)
    install_request_middleware(app)
    app.include_router(ops_router)
    app.include_router(auth_router)
    app.include_router(uploads_router)
    app.include_router(videos_router)
    app.include_router(comments_router)
    app.include_router(activity_router)
    app.include_router(groups_router)
    app.include_router(thumbnails_router)
    app.include_router(search_router)
    app.include_router(studio_router)
    app.include_router(recs_router)
    app.include_router(live_router)
    app.include_router(live_ws_router)
    app.include_router(live_chat_router)
    app.include_router(live_chat_ws_router)
    # Outermost: media requests skip routing and the request middleware (cdn/asgi.py).
    app.add_middleware(CdnRoute, state=app.state)
    _include_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _cdn(app: FastAPI, *, follow_bus: bool) -> contextlib.AbstractAsyncContextManager[MediaServer]:
    """The CDN route's caches; a process that runs no roles (tests) takes no bus group and
    learns only of the changes it commits itself."""
    adapters: Adapters = app.state.adapters
    return running_cdn(
        engine=adapters.engine,
        sessions=adapters.sessions,
        storage=adapters.storage,
        secret=adapters.secret,
        bus=adapters.bus if follow_bus else None,
        node=adapters.settings.resolved_node(),
        memory_bytes=adapters.settings.cdn_memory_mb * 1024**2,
        observers=getattr(app.state, "cdn_observers", ()),
    )


def _include_pages(app: FastAPI) -> None:
    from clipcast.live.pages import router as live_pages_router
    from clipcast.studio.pages import router as studio_pages_router
    from clipcast.web.pages import router as pages_router

    app.include_router(pages_router)
    app.include_router(studio_pages_router)
    app.include_router(live_pages_router)
