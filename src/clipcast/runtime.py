"""What each kind of process runs: the roles of `serve`, `api` and `worker --role …`."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from datetime import timedelta
from enum import StrEnum
from typing import cast

from clipcast.adapters.bus.base import BatchBus, Event, Handler, Subscription
from clipcast.adapters.bus.redelivery import node_group
from clipcast.bootstrap import Adapters

log = logging.getLogger(__name__)


class Role(StrEnum):
    TRANSCODE = "transcode"
    THUMBNAILS = "thumbnails"
    SEARCH = "search"
    ACTIVITY = "activity"
    RECS = "recs"
    RELAY = "relay"
    EDGE = "edge"  # beside nginx on each edge host (issue 13); never part of "all"
    ALL = "all"


WORKER_ROLES = (Role.TRANSCODE, Role.THUMBNAILS, Role.SEARCH, Role.ACTIVITY, Role.RECS)


def expand(roles: list[Role]) -> set[Role]:
    """`all` means every worker role; the relay runs wherever the API runs, or when asked."""
    out = set(roles)
    if Role.ALL in out:
        out.discard(Role.ALL)
        out.update(WORKER_ROLES)
    return out


def search_group(node: str) -> str:
    """Every search node keeps a whole index, so each is its own consumer group."""
    return node_group("search", node or socket.gethostname())


def _measured(adapters: Adapters, group: str, handler: Handler) -> Handler:
    async def run(event: Event) -> None:
        start, outcome = time.perf_counter(), "error"
        try:
            await handler(event)
            outcome = "ok"
        finally:
            adapters.metrics.event_seconds.labels(group=group, outcome=outcome).observe(
                time.perf_counter() - start
            )

    return run


async def _subscribe(adapters: Adapters, roles: set[Role]) -> list[Subscription]:
    subs: list[Subscription] = []
    if Role.THUMBNAILS in roles:
        from clipcast.thumbnails.handlers import handle_video_ready

        async def thumbnails(event: Event) -> None:
            await handle_video_ready(
                event,
                sessions=adapters.sessions,
                storage=adapters.storage,
                settings=adapters.settings,
            )

        subs.append(
            await adapters.bus.subscribe(
                "thumbnails",
                ["video.ready"],
                _measured(adapters, "thumbnails", thumbnails),
                ack_wait_seconds=adapters.settings.job_lease_seconds,
            )
        )
    if Role.SEARCH in roles:
        from clipcast.search.handlers import TOPICS as SEARCH_TOPICS
        from clipcast.search.handlers import handle as handle_search

        async def search(event: Event) -> None:
            await handle_search(event, sessions=adapters.sessions, index=adapters.search)

        await _fill_new_index(adapters)
        group = search_group(adapters.settings.search_node)
        subs.append(
            await adapters.bus.subscribe(
                group, list(SEARCH_TOPICS), _measured(adapters, group, search)
            )
        )
    if Role.ACTIVITY in roles:
        from clipcast.activity.handlers import subscribe as subscribe_activity

        subs.append(
            await subscribe_activity(
                cast(BatchBus, adapters.bus),  # both bus adapters deliver in batches too
                sessions=adapters.sessions,
                counters=adapters.counters,
                clip_seconds=adapters.settings.clip_seconds,
            )
        )
    if Role.RECS in roles:
        subs.append(await _subscribe_recs(adapters))
    return subs


async def _subscribe_recs(adapters: Adapters) -> Subscription:
    from clipcast.recommendations.handlers import GROUP, TOPICS, handle
    from clipcast.recommendations.service import RecsConfig

    config = RecsConfig.from_settings(adapters.settings)

    async def recs(event: Event) -> None:
        await handle(event, sessions=adapters.sessions, config=config)

    return await adapters.bus.subscribe(GROUP, list(TOPICS), _measured(adapters, GROUP, recs))


async def _fill_new_index(adapters: Adapters) -> None:
    """A search node with an empty index (a new node, or a new schema version after an
    upgrade) fills it from SQL before following the bus, so searches find what exists."""
    from clipcast.search.service import reindex_all

    if await adapters.search.count() == 0:
        count = await reindex_all(sessions=adapters.sessions, index=adapters.search)
        if count:
            log.info("search index was empty: filled with %d videos from SQL", count)


async def run_roles(
    adapters: Adapters, roles: set[Role], stop: asyncio.Event, *, fatal: bool = False
) -> None:
    """Run the roles until `stop` is set; then stop taking work, give back what is in hand.

    A role whose loop dies is logged with its traceback at once. With `fatal` (a worker
    process) it also stops the others, and RoleFailed, raised once all are stopped, makes the
    process exit non-zero so its supervisor restarts it; inside an API process the API and the
    other roles go on."""
    tasks: list[asyncio.Task[None]] = []
    if Role.RELAY in roles:
        from clipcast.events.pruning import run_pruner
        from clipcast.events.relay import run_relay

        tasks.append(asyncio.create_task(run_relay(adapters.sessions, adapters.bus, stop=stop)))
        retention = timedelta(hours=adapters.settings.event_retention_hours)
        tasks.append(
            asyncio.create_task(run_pruner(adapters.sessions, retention=retention, stop=stop))
        )
        tasks.append(asyncio.create_task(_live_sweeper(adapters, stop)))
    if Role.TRANSCODE in roles:
        from clipcast.bootstrap import transcode_deps
        from clipcast.transcoding.worker import run_worker

        tasks.append(asyncio.create_task(run_worker(transcode_deps(adapters), stop=stop)))
    if Role.ACTIVITY in roles:
        from clipcast.activity.upkeep import run_upkeep

        days = adapters.settings.activity_retention_days
        tasks.append(
            asyncio.create_task(
                run_upkeep(adapters.sessions, adapters.counters, retention_days=days, stop=stop)
            )
        )
    if Role.EDGE in roles:
        tasks.append(asyncio.create_task(_run_edge(adapters, stop)))
    if Role.RECS in roles:
        tasks.extend(_recs_tasks(adapters, stop))
    for task in tasks:
        task.add_done_callback(lambda done: _role_ended(done, stop if fatal else None))
    subs = await _subscribe(adapters, roles)
    log.info("running roles: %s", ", ".join(sorted(roles)) or "none")
    try:
        await stop.wait()
    finally:
        await _shutdown(subs, tasks)


class RoleFailed(RuntimeError):
    """A role's loop ended by an exception: the process exits non-zero so that whatever
    supervises it (systemd, Kubernetes) restarts it, instead of idling half-alive."""


def _role_ended(task: asyncio.Task[None], stop: asyncio.Event | None) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        name = getattr(task.get_coro(), "__qualname__", task.get_name())
        log.error("role task %s failed", name, exc_info=exc)
        if stop is not None:
            stop.set()


async def _run_edge(adapters: Adapters, stop: asyncio.Event) -> None:
    from clipcast.edge.worker import run_edge

    settings = adapters.settings
    await run_edge(
        sessions=adapters.sessions,
        bus=adapters.bus,
        gate_dir=settings.resolved_edge_gate_dir(),
        node=settings.resolved_node(),
        resync_seconds=settings.edge_resync_seconds,
        stop=stop,
    )


def _recs_tasks(adapters: Adapters, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    from clipcast.recommendations.service import RecsConfig
    from clipcast.recommendations.worker import run_batches, run_due_refreshes

    config = RecsConfig.from_settings(adapters.settings)
    a = adapters
    return [
        asyncio.create_task(
            run_batches(
                sessions=a.sessions,
                counters=a.counters,
                storage=a.storage,
                config=config,
                stop=stop,
            )
        ),
        asyncio.create_task(
            run_due_refreshes(
                sessions=a.sessions,
                counters=a.counters,
                storage=a.storage,
                config=config,
                stop=stop,
            )
        ),
    ]


async def _live_sweeper(adapters: Adapters, stop: asyncio.Event) -> None:
    """Live streams nobody feeds any more end (issue 12); beside the relay, on every API."""
    from clipcast.live.sweeper import run_sweeper

    await run_sweeper(
        sessions=adapters.sessions,
        storage=adapters.storage,
        clip_seconds=adapters.settings.clip_seconds,
        end_after_seconds=adapters.settings.live_end_after_seconds,
        stop=stop,
    )


async def _shutdown(subs: list[Subscription], tasks: list[asyncio.Task[None]]) -> None:
    for sub in subs:
        await sub.stop()
    # A transcode job in hand is released (another worker takes it at once) rather than
    # finished: a long encode would outlast any sensible stop timeout.
    for task in tasks:
        task.cancel()
    # Every task is awaited, a failed one too (its traceback was logged when it ended).
    ended = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [e for e in ended if isinstance(e, Exception)]
    if failed:
        raise RoleFailed(f"{len(failed)} role task(s) failed; see the log above")


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`, so work in hand is finished or released before exit."""
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def run_worker_process(adapters: Adapters, roles: set[Role]) -> None:
    """`clipcast worker`: no HTTP but /metrics, only roles, until SIGTERM or SIGINT."""
    from clipcast.ops.metrics import serve_metrics

    stop = asyncio.Event()
    install_signal_handlers(stop)
    settings = adapters.settings
    stop_metrics = serve_metrics(adapters.metrics, settings.metrics_host, settings.metrics_port)
    try:
        await adapters.storage.check()
        await run_roles(adapters, roles, stop, fatal=True)
    finally:
        stop_metrics()
        await adapters.close()
