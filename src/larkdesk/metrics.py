"""larkdesk's Prometheus metrics, and the tiny calls other modules make to record them.

The metric objects live here, at module level, as `prometheus_client` means them to (its
registry is process-wide anyway): any module records with one call and no wiring, e.g.

    from larkdesk import metrics
    metrics.long_connections.inc()      # a long connection opened (events/)
    metrics.long_connections.dec()      # ... and closed
    metrics.console_sessions.inc()      # a console session began (console/), .dec() when it ends
    metrics.console_logins.inc()        # a console sign-in

Several workers add up through prometheus_client's multiprocess mode: `serve --workers N`
points `PROMETHEUS_MULTIPROC_DIR` at a private temporary folder before the workers start
(`prepare_multiprocess`), each worker writes its values there, and `/metrics` sums them
(`exposition`). Gauges of live things (long connections, console sessions) count only
live workers ("livesum"). Labels are bounded: an API is its route template, never a path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Request latencies: a cached list page answers in about 1 ms, a count of 50,000 tickets
# in about 100 ms; the buckets span both, and the slow tail up to the read timeout.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5)
DELIVERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0, 3600.0)

requests = Counter(
    "larkdesk_requests",
    "Requests answered, by method, API (route template), HTTP status and Feishu code",
    ["method", "api", "status", "code"],
)
request_seconds = Histogram(
    "larkdesk_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and API",
    ["method", "api"],
    buckets=LATENCY_BUCKETS,
)
rate_limit_rejections = Counter(
    "larkdesk_rate_limit_rejections",
    "Requests refused by Feishu's per-app rate limits (99991400), by app and API",
    ["app_id", "api"],
)
tokens_issued = Counter(
    "larkdesk_tokens_issued",
    "Access tokens answered to apps (new or re-answered), by kind (tenant, app)",
    ["kind"],
)
store_seconds = Histogram(
    "larkdesk_store_query_seconds",
    "Time of each store call (one read or one write transaction), by operation",
    ["operation"],
    buckets=STORE_BUCKETS,
)
delivery_attempts = Counter(
    "larkdesk_event_delivery_attempts",
    "Event delivery attempts, by transport (webhook, long_connection) and result (ok, failed)",
    ["mode", "result"],
)
delivery_seconds = Histogram(
    "larkdesk_event_commit_to_delivery_seconds",
    "Time from an event's commit to its successful delivery (retries included)",
    ["mode"],
    buckets=DELIVERY_BUCKETS,
)
long_connections = Gauge(
    "larkdesk_long_connections",
    "Event long connections open (inc() when one opens, dec() when it closes)",
    multiprocess_mode="livesum",
)
console_sessions = Gauge(
    "larkdesk_console_sessions",
    "Web console sessions open (inc() when one begins, dec() when it ends)",
    multiprocess_mode="livesum",
)
console_logins = Counter("larkdesk_console_logins", "Web console sign-ins")


class _Children:
    """Label children looked up once: `.labels()` takes a lock and builds a tuple on every
    call, which the per-request path should not pay."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, int, str], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._store: dict[str, Histogram] = {}

    def request(self, method: str, api: str, status: int, code: str, seconds: float) -> None:
        key = (method, api, status, code)
        counter = self._requests.get(key)
        if counter is None:
            counter = self._requests[key] = requests.labels(method, api, str(status), code)
        counter.inc()
        histogram = self._latency.get((method, api))
        if histogram is None:
            histogram = self._latency[method, api] = request_seconds.labels(method, api)
        histogram.observe(seconds)

    def store(self, operation: str, seconds: float) -> None:
        histogram = self._store.get(operation)
        if histogram is None:
            histogram = self._store[operation] = store_seconds.labels(operation)
        histogram.observe(seconds)


_children = _Children()


def observe_request(method: str, api: str, status: int, code: str, seconds: float) -> None:
    """One answered request (the request log middleware calls this)."""
    _children.request(method, api, status, code, seconds)


@contextmanager
def timed_store(operation: str) -> Iterator[None]:
    """Time one store call as `operation` (the function it runs)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _children.store(operation, time.perf_counter() - started)


def rate_limited(app_id: str, api: str) -> None:
    """An app's request was refused by its rate limit."""
    rate_limit_rejections.labels(app_id, api).inc()


def token_issued(kind: str) -> None:
    """An app was answered an access token of `kind`."""
    tokens_issued.labels(kind).inc()


def delivery_attempted(mode: str, ok: bool, created_at_ms: int, done_at_ms: int) -> None:
    """One event delivery attempt; a successful one also records commit-to-delivery time."""
    delivery_attempts.labels(mode, "ok" if ok else "failed").inc()
    if ok:
        delivery_seconds.labels(mode).observe(max(0, done_at_ms - created_at_ms) / 1000)


def prepare_multiprocess() -> str:
    """A fresh private folder for the workers' metric files, named in the environment the
    workers inherit. Call before the workers start (prometheus_client picks its mode when
    a process first imports it); `serve` removes the folder when it exits."""
    folder = tempfile.mkdtemp(prefix="larkdesk-metrics-")
    os.environ[MULTIPROC_ENV] = folder
    return folder


def remove_multiprocess(folder: str) -> None:
    """Remove what `prepare_multiprocess` made."""
    shutil.rmtree(folder, ignore_errors=True)


def exposition(extra: Collector | None = None) -> bytes:
    """Every metric in Prometheus' text format: this process's, or in multiprocess mode
    every worker's summed; plus `extra`'s, collected now (the outbox backlog)."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    if extra is not None:
        registry.register(extra)
    return generate_latest(registry)


class _Forward(Collector):
    """The process registry's metrics, inside a registry of one scrape (with `extra`)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self):  # type: ignore[no-untyped-def]
        return self._source.collect()


def process_ended() -> None:
    """This worker is stopping: its live gauges (long connections, console sessions) stop
    counting. Counters and histograms keep what it recorded."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]
