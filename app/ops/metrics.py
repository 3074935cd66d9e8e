"""Prometheus metrics: requests by route template, latency, and database pool use.

Labels use the matched route's template (`/v1/articles/{slug}`), never the raw path, so a
crawler walking a million slugs cannot blow up the number of series.

Several uvicorn workers are several processes, and each has its own registry: a scrape of
`/metrics` then reaches one worker and shows only its counts. For exact totals either scrape each
worker separately, or set `PROMETHEUS_MULTIPROC_DIR` to an empty directory, writable by the app and
emptied at every start; prometheus_client then keeps values in files there and `/metrics`
aggregates every worker (the pool gauge is summed over live workers; process and GC metrics are
not exported in that mode).
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.core.db import get_read_engine, get_write_engine

REQUESTS = Counter("khabar_http_requests", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("khabar_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
POOL_IN_USE = Gauge("khabar_db_pool_connections_in_use",
                    "Database connections checked out of the pool", ["engine"],
                    multiprocess_mode="livesum")
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Clients may send any method name; keep the label set bounded.
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def observe_pools() -> None:
    for name, engine in (("write", get_write_engine()), ("read", get_read_engine())):
        checkedout = getattr(engine.pool, "checkedout", None)  # StaticPool/NullPool have none
        if checkedout is not None:
            POOL_IN_USE.labels(engine=name).set(checkedout())


def exposition() -> bytes:
    """The text exposition of this process, or of every worker in multiprocess mode."""
    observe_pools()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# The children of each label set, looked up once: `labels()` validates and locks on every call.
# Bounded as the labels are (methods x route templates x statuses).
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """An observer for EdgeMiddleware, which times each request once for logs and metrics."""
    series = _SERIES.get((method, route, status))
    if series is None:
        labels = (method if method in METHODS else "OTHER", route, str(status))
        series = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
        if method in METHODS:
            _SERIES[(method, route, status)] = series
    series[0].inc()
    series[1].observe(seconds)
