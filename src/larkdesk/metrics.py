"""larkdesk's Prometheus metrics, and the tiny calls other modules make to record them.

The metric objects live here, at module level, as `prometheus_client` means them to (its
registry is process-wide anyway): any module records with one call and no wiring, e.g.

    from larkdesk import metrics
    metrics.long_connections.inc()      # a long connection opened (events/)
    metrics.long_connections.dec()      # ... and closed
    metrics.console_logins.labels(kind).inc()  # a console sign-in (app or operator)

Several workers add up through prometheus_client's multiprocess mode: `serve --workers N`
points `PROMETHEUS_MULTIPROC_DIR` at a private temporary folder before the workers start
(`prepare_multiprocess`), each worker writes its values there, and `/metrics` sums them
(`exposition`). Gauges of live things (long connections) count only
live workers ("livesum"). Labels are bounded: an API is its route template, never a path.
Recording is cheap (a dict update under a lock); values reach prometheus_client (and the
workers' files) once a second and before each scrape, so another worker's last second may
show at the next scrape.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import time
from bisect import bisect_left
from typing import Any

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

from .settings import hand_metrics_folder, metrics_folder

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
# Console sessions are signed cookies the browser keeps (console/session.py), not rows on
# the server, so how many are open is not known: sign-ins are counted instead.
console_logins = Counter(
    "larkdesk_console_logins", "Web console sign-ins, by kind (app or operator)", ["kind"]
)


class _Batch:
    """Observations gathered in plain dicts (a lock, no I/O) and written to
    prometheus_client's values by `flush`, about once a second and before every scrape.
    In multiprocess mode each value write is an mmap update under a lock: paid per request
    and per store call, that cost twice as much as this."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[Counter, tuple[Any, ...]], float] = {}
        # (histogram, labels) -> [sum, count per bucket..., count above the last bucket]
        self._observed: dict[tuple[Histogram, tuple[Any, ...]], list[float]] = {}

    def count(self, counter: Counter, labels: tuple[Any, ...], amount: float = 1) -> None:
        key = (counter, labels)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def observe(self, histogram: Histogram, labels: tuple[Any, ...], amount: float) -> None:
        bounds = _BOUNDS[histogram]
        key = (histogram, labels)
        with self._lock:
            row = self._observed.get(key)
            if row is None:
                row = self._observed[key] = [0.0] * (len(bounds) + 2)
            row[0] += amount
            row[bisect_left(bounds, amount) + 1] += 1

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            observed, self._observed = self._observed, {}
        for (counter, labels), amount in counts.items():
            counter.labels(*map(str, labels)).inc(amount)
        for (histogram, labels), row in observed.items():
            child = histogram.labels(*map(str, labels))
            # prometheus_client (pinned) keeps a histogram as a sum and a count per bucket;
            # adding to them is what `observe` does, once per observation.
            child._sum.inc(row[0])
            for bucket, hits in zip(child._buckets, row[1:], strict=True):
                if hits:
                    bucket.inc(hits)


_BOUNDS: dict[Histogram, tuple[float, ...]] = {
    request_seconds: LATENCY_BUCKETS,
    store_seconds: STORE_BUCKETS,
    delivery_seconds: DELIVERY_BUCKETS,
}
_batch = _Batch()
FLUSH_EVERY_S = 1.0


def flush() -> None:
    """Write what was recorded since the last flush into the metrics (and, in multiprocess
    mode, this worker's files)."""
    _batch.flush()


async def flush_every(seconds: float = FLUSH_EVERY_S) -> None:
    """Flush until cancelled (a task of each server process), and once more at the end."""
    try:
        while True:
            await asyncio.sleep(seconds)
            flush()
    finally:
        flush()


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, api: str, status: int, code: str, seconds: float) -> None:
    """One answered request (the request log middleware calls this). A method outside
    HTTP's usual few is counted as `other`: clients choose it, and labels must stay few."""
    method = method if method in METHODS else "other"
    _batch.count(requests, (method, api, status, code))
    _batch.observe(request_seconds, (method, api), seconds)


class timed_store:
    """Time one store call as `operation` (the function it runs)."""

    __slots__ = ("_operation", "_started")

    def __init__(self, operation: str) -> None:
        self._operation = operation
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        _batch.observe(store_seconds, (self._operation,), time.perf_counter() - self._started)


def rate_limited(app_id: str, api: str) -> None:
    """An app's request was refused by its rate limit."""
    _batch.count(rate_limit_rejections, (app_id, api))


def token_issued(kind: str) -> None:
    """An app was answered an access token of `kind`."""
    _batch.count(tokens_issued, (kind,))


def delivery_attempted(mode: str, ok: bool, created_at_ms: int, done_at_ms: int) -> None:
    """One event delivery attempt; a successful one also records commit-to-delivery time."""
    _batch.count(delivery_attempts, (mode, "ok" if ok else "failed"))
    if ok:
        _batch.observe(delivery_seconds, (mode,), max(0, done_at_ms - created_at_ms) / 1000)


def prepare_multiprocess() -> str:
    """A fresh private folder for the workers' metric files, named in the environment the
    workers inherit. Call before the workers start (prometheus_client picks its mode when
    a process first imports it); `serve` removes the folder when it exits."""
    folder = tempfile.mkdtemp(prefix="larkdesk-metrics-")
    hand_metrics_folder(folder)
    return folder


def remove_multiprocess(folder: str) -> None:
    """Remove what `prepare_multiprocess` made."""
    shutil.rmtree(folder, ignore_errors=True)


def exposition(extra: Collector | None = None) -> bytes:
    """Every metric in Prometheus' text format: this process's, or in multiprocess mode
    every worker's summed; plus `extra`'s, collected now (the outbox backlog)."""
    flush()
    folder = metrics_folder()
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
    """This worker is stopping: its live gauges (long connections) stop
    counting. Counters and histograms keep what it recorded."""
    flush()
    folder = metrics_folder()
    if folder:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]
