"""Prometheus metrics of one process, in a registry of its own (nothing global at import)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_JOB_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class Metrics:
    """Counters the code updates as it runs, plus gauges filled from the database at scrape.

    The site-wide gauges live in a registry of their own: a worker serves only what it measures,
    and the API processes report the queue and the outbox.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.site_registry = CollectorRegistry()
        self.request_seconds = Histogram(
            "clipcast_http_request_seconds",
            "HTTP request latency by route template.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "clipcast_job_seconds",
            "Wall time of finished jobs.",
            ["kind", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=self.registry,
        )
        self.event_seconds = Histogram(
            "clipcast_event_handler_seconds",
            "Time bus handlers take per event.",
            ["group", "outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "clipcast_queue_depth",
            "Jobs waiting or running.",
            ["kind", "state"],
            registry=self.site_registry,
        )
        self.outbox_pending = Gauge(
            "clipcast_outbox_pending_events",
            "Outbox events not yet published.",
            registry=self.site_registry,
        )
        self.outbox_lag = Gauge(
            "clipcast_outbox_lag_seconds",
            "Age of the oldest unpublished outbox event.",
            registry=self.site_registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry) + generate_latest(self.site_registry)


def serve_metrics(metrics: Metrics, host: str, port: int) -> Callable[[], None]:
    """/metrics on `host:port` from a thread, for a process without HTTP of its own (a worker);
    port 0 serves nothing. Returns what stops it."""
    if not port:
        return lambda: None
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    log.info("metrics on http://%s:%d/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return stop
