"""The serving entry point: uvicorn in this process or in worker processes, its logging,
and the one-off heap freeze that only a serving process should pay for."""

from __future__ import annotations

import gc
import os
from typing import Any

from starlette.applications import Starlette

from ..settings import Settings
from ..store.base import Store
from .app import create_app


def logging_config(level: str) -> dict[str, Any]:
    """One line per record on stderr, for larkdesk's and uvicorn's loggers."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"}
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
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
    p99). A serving process's business, not the factory's: tests would pay it too."""
    gc.collect()
    gc.freeze()
    return app


def create_worker_app() -> Starlette:
    """Factory for worker processes (`uvicorn --factory`): settings from `LARKDESK_*`."""
    return frozen(create_app(Settings.from_env()))


def run_server(settings: Settings, store: Store) -> None:
    """Serve in this process, on `store` (already open and migrated)."""
    import uvicorn  # only for serving, not at every command's start

    uvicorn.run(
        frozen(create_app(settings, store)),
        host=settings.host,
        port=settings.port,
        log_config=logging_config(settings.log_level),
        access_log=False,
        server_header=False,
    )


def run_workers(settings: Settings, workers: int) -> None:
    """Serve from `workers` processes sharing the port; each rebuilds its settings from the
    environment this process hands down."""
    import uvicorn  # only for serving, not at every command's start

    os.environ.update(settings.to_env())
    uvicorn.run(
        f"{__name__}:create_worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=logging_config(settings.log_level),
        access_log=False,
        server_header=False,
    )
