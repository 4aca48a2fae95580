"""The serving entry point: uvicorn in this process or in worker processes, its logging,
and the one-off heap freeze that only a serving process should pay for."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from starlette.applications import Starlette

from .. import metrics
from ..console.warmup import freeze_when_warm
from ..settings import Settings
from ..store.base import Store
from .app import create_app
from .limits import WireOptions


def logging_config(level: str, log_format: str = "plain") -> dict[str, Any]:
    """One line per record on stderr, for larkdesk's and uvicorn's loggers: plain text,
    or one JSON object per line (`log_format="json"`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"},
            "json": {"()": "larkdesk.server.jsonlog.JsonFormatter"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "larkdesk": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }


def frozen(app: Starlette) -> Starlette:
    """`app`, with everything built so far moved out of the collector's sight: it lives as
    long as the process, and a full collection no longer walks it (shorter pauses, a lower
    p99). A serving process's business, not the factory's: tests would pay it too. The
    metrics copies read at start are frozen the same way once read (console/warmup.py)."""
    gc.collect()
    gc.freeze()
    freeze_when_warm()
    return app


def create_worker_app() -> Starlette:
    """Factory for worker processes (`uvicorn --factory`): settings from `LARKDESK_*`."""
    return frozen(create_app(Settings.from_env()))


def run_server(settings: Settings, store: Store, wire: WireOptions) -> None:
    """Serve in this process, on `store` (already open and migrated)."""
    _serve(frozen(create_app(settings, store)), settings, wire)


def run_workers(settings: Settings, workers: int, wire: WireOptions) -> None:
    """Serve from `workers` processes sharing the port; each rebuilds its settings from the
    environment this process hands down. Their metrics add up in a private folder made
    for this run (and removed after it)."""
    os.environ.update(settings.to_env())
    folder = metrics.prepare_multiprocess()
    try:
        _serve(f"{__name__}:create_worker_app", settings, wire, workers=workers)
    finally:
        metrics.remove_multiprocess(folder)


def _serve(app: Any, settings: Settings, wire: WireOptions, workers: int = 1) -> None:
    """uvicorn with larkdesk's hardened HTTP protocol and wire limits, in this process or in
    worker processes (which get the same config, pickled); `app` is an ASGI app, or with
    `workers > 1` a "module:factory" string."""
    import uvicorn  # only for serving, not at every command's start
    from uvicorn.config import STARTUP_FAILURE

    from .protocols import PROTOCOLS, WireConfig, _Supervisor

    config = WireConfig(
        app,
        limits=wire.limits,
        host=settings.host,
        port=settings.port,
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,
        server_header=False,
        http=PROTOCOLS[wire.http],
        ws="websockets-sansio",  # the long connection (events/longconn_routes.py)
        factory=workers > 1,
        workers=workers,
        # SIGTERM: stop accepting, let requests in flight finish within this, then the
        # lifespan's shutdown (event deliveries in flight, bounded alike).
        timeout_graceful_shutdown=settings.graceful_timeout_s,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        _Supervisor(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
