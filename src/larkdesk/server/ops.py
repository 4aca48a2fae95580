"""What operators and load balancers ask of a server, outside `/open-apis`:

- `GET /healthz`: the process is up and its event loop answers (no I/O at all).
- `GET /readyz`: the store answers with its schema current, Redis answers when configured,
  and the process is not shutting down. 503 with what failed otherwise. One small query
  per poll, at most one in flight (a hung database makes polls wait 2 s, never pile up).
- `GET /metrics`: Prometheus' text format (`larkdesk.metrics`), summed over workers.
  With `LARKDESK_METRICS_TOKEN` set it asks for that bearer token; without, it answers
  only when the server listens on a loopback address (`--host 127.0.0.1`, the default),
  and refuses (403) when it listens publicly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import msgspec
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import metrics
from ..settings import Settings
from ..store.base import Store
from ..store.health import OutboxBacklog
from ..store.migrations import load_migrations
from .shutdown import ShutdownHooks

CHECK_TIMEOUT_S = 2.0
_encode = msgspec.json.Encoder().encode


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        _encode(body),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def is_loopback(host: str) -> bool:
    """`--host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _SingleFlight:
    """One blocking check in a thread at a time; callers meanwhile share its result."""

    def __init__(self) -> None:
        self._running: asyncio.Future[Any] | None = None

    async def run(self, work: Any, timeout: float) -> Any:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(anyio.to_thread.run_sync(work))
        return await asyncio.wait_for(asyncio.shield(self._running), timeout)


class Readiness:
    def __init__(self, store: Store, redis_url: str | None, hooks: ShutdownHooks) -> None:
        self._store = store
        self._hooks = hooks
        backend = "postgres" if hasattr(store, "url") else "sqlite"
        self.latest = max(m.version for m in load_migrations(backend))
        self._redis_url = redis_url
        self._redis: Any = None
        self._schema = _SingleFlight()

    async def check(self) -> dict[str, dict[str, Any]]:
        """Each check's result: {"ok": bool, ...what it found or why it failed}."""
        checks = {"store": await self._check_store()}
        if self._redis_url:
            checks["redis"] = await self._check_redis()
        if self._hooks.draining:
            checks["shutdown"] = {"ok": False, "error": "the server is shutting down"}
        return checks

    async def _check_store(self) -> dict[str, Any]:
        try:
            version = await self._schema.run(self._store.schema_version, CHECK_TIMEOUT_S)
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
        except Exception as exc:
            return {"ok": False, "error": _reason(exc)}
        found: dict[str, Any] = {"schema_version": version, "latest_migration": self.latest}
        if version < self.latest:
            found["error"] = "migrations are not current: restart larkdesk to apply them"
        return {"ok": version >= self.latest, **found}

    async def _check_redis(self) -> dict[str, Any]:
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                self._redis_url or "",
                socket_timeout=CHECK_TIMEOUT_S,
                socket_connect_timeout=CHECK_TIMEOUT_S,
            )
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                await self._redis.ping()
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {CHECK_TIMEOUT_S:g} s"}
        except Exception as exc:
            return {"ok": False, "error": _reason(exc)}
        return {"ok": True}

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def _reason(exc: BaseException) -> str:
    """An error on one line, with its type (connection errors carry host and port, which an
    operator needs; larkdesk's URLs reach no message with their password)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Outbox(Collector):
    """The outbox backlog, read from the store at scrape time (one value for all workers)."""

    def __init__(self, backlog: OutboxBacklog, now_ms: int) -> None:
        self._backlog = backlog
        self._now_ms = now_ms

    def collect(self) -> Iterator[Metric]:
        backlog = self._backlog
        yield GaugeMetricFamily(
            "larkdesk_outbox_waiting", "Events not yet delivered or given up", backlog.waiting
        )
        yield GaugeMetricFamily(
            "larkdesk_outbox_due", "Events waiting whose delivery is due now", backlog.due
        )
        age = 0.0
        if backlog.oldest_due_at is not None:
            age = max(0.0, (self._now_ms - backlog.oldest_due_at) / 1000)
        yield GaugeMetricFamily(
            "larkdesk_outbox_oldest_due_seconds", "How long the oldest due event has waited", age
        )


class OpsRoutes:
    def __init__(self, store: Store, settings: Settings, hooks: ShutdownHooks) -> None:
        self._store = store
        self.readiness = Readiness(store, settings.redis, hooks)
        self._token = settings.metrics_token
        self._open = is_loopback(settings.host)
        self._backlog = _SingleFlight()
        self._flusher: asyncio.Task[None] | None = None

    def start(self) -> None:
        """In the server's loop: write recorded metrics out once a second."""
        self._flusher = asyncio.create_task(metrics.flush_every(), name="metrics-flush")

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        checks = await self.readiness.check()
        failed = sorted(name for name, result in checks.items() if not result["ok"])
        body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": checks}
        return _json(body, 503 if failed else 200)

    async def metrics(self, request: Request) -> Response:
        refused = self._refusal(request.headers.get("authorization", ""))
        if refused is not None:
            return refused
        now_ms = int(time.time() * 1000)
        outbox: Collector | None = None
        try:
            backlog = await self._backlog.run(
                lambda: self._store.outbox_backlog(now_ms), CHECK_TIMEOUT_S
            )
            outbox = _Outbox(backlog, now_ms)
        except Exception:  # the store is down: the rest of the metrics still answer
            outbox = None
        body = await anyio.to_thread.run_sync(metrics.exposition, outbox)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    def _refusal(self, authorization: str) -> Response | None:
        if self._token is not None:
            scheme, _, given = authorization.strip().partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self._token.encode()
            ):
                return None
            return _json({"error": "GET /metrics needs Authorization: Bearer <token>"}, 401)
        if self._open:
            return None
        return _json(
            {
                "error": "GET /metrics is off on a public --host without LARKDESK_METRICS_TOKEN"
                " (set it, or scrape from 127.0.0.1 with a server on a loopback address)"
            },
            403,
        )

    def routes(self) -> list[Route]:
        return [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.metrics, methods=["GET"]),
        ]

    async def aclose(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.readiness.aclose()
