"""Run uvicorn the way `larkdesk serve` needs: larkdesk's hardened HTTP protocol and wire
limits, in this process or in worker processes (which get the same config, pickled)."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from .http_protocols import PROTOCOLS, WireConfig
from .server_limits import WireOptions


def run(
    app: Any,
    *,
    host: str,
    port: int,
    log_config: dict[str, Any],
    wire: WireOptions,
    workers: int = 1,
) -> None:
    """Serve `app` (an ASGI app, or with `workers > 1` a "module:factory" string)."""
    config = WireConfig(
        app,
        limits=wire.limits,
        host=host,
        port=port,
        log_config=log_config,
        access_log=False,
        server_header=False,
        http=PROTOCOLS[wire.http],
        ws="none",  # no WebSocket API here; an Upgrade header is an ordinary request
        factory=workers > 1,
        workers=workers,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
