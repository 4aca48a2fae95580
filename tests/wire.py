"""One wire suite, two transports (moto's TEST_SERVER_MODE): a test asks `serve(db, ...)`
for a `Wire` and talks to it through `wire.client()`, `wire.base_url` (lark-oapi, the
`larkdesk` command line) or `wire.transport` (the export/sync client's `transport=`).

By default the app runs in this process: uvicorn with larkdesk's hardened protocol on a
loopback port, in a thread's event loop, and beside it an httpx transport that hands
requests straight to the same app in that loop (no socket, no HTTP parsing). With
`--live` (or `LARKDESK_TEST_LIVE=1`) the same tests run against a real `larkdesk serve`
subprocess. Tests where the process itself matters (workers, signals, limits shared
across processes, the HTTP protocol's hardening) call `start_server` directly instead.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from larkdesk.server.app import create_app
from larkdesk.server.limits import WireLimits
from larkdesk.server.protocols import PROTOCOLS, WireConfig
from larkdesk.settings import Settings, operator_token

from .conftest import start_server, stop_server

LIVE_ENV = "LARKDESK_TEST_LIVE"


def live_mode() -> bool:
    """Whether wire tests run against `larkdesk serve` subprocesses (`--live`)."""
    return os.environ.get(LIVE_ENV, "") == "1"


@dataclass
class Wire:
    """A larkdesk serving `db`: its URL and, in-process, a transport into the app."""

    base_url: str
    db: str
    transport: httpx.BaseTransport | None = None
    live: bool = False

    def client(self, **options: Any) -> httpx.Client:
        """An httpx client on this server (in-process: straight into the app)."""
        return httpx.Client(base_url=self.base_url, transport=self.transport, **options)


class PortalTransport(httpx.BaseTransport):
    """A sync httpx transport into an ASGI app running in a portal's event loop: httpx's
    ASGITransport is async only, and Starlette's TestClient speaks httpx2, which the
    export/sync client (httpx) cannot take as its `transport=`."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # a generator's chunks
            chunks = _Chunks(request.stream)
            request = httpx.Request(
                request.method, request.url, headers=request.headers, stream=chunks
            )

        async def exchange() -> tuple[int, httpx.Headers, bytes]:
            response = await self._asgi.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        status, headers, content = self._portal.call(exchange)
        return httpx.Response(status, headers=headers, content=content, request=request)


class _Chunks(httpx.AsyncByteStream):
    """A streamed body's chunks, handed to the app one at a time, as it asks for them."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


IN_PROCESS_OPTIONS = ("--rate-limit", "--redis")


def _settings(db: str | Path, extra: tuple[str, ...]) -> Settings:
    """What `larkdesk serve --db db *extra` would serve with (`IN_PROCESS_OPTIONS` only,
    and `LARKDESK_OPERATOR_TOKEN` from the environment, as `serve` reads it)."""
    options = dict(zip(extra[::2], extra[1::2], strict=True))
    unknown = set(options) - set(IN_PROCESS_OPTIONS)
    if unknown:
        raise ValueError(f"not served in-process: {sorted(unknown)}; use start_server")
    rate_limit = "off" if options.get("--rate-limit") == "off" else "feishu"
    return Settings(
        db=str(db),
        rate_limit=rate_limit,
        redis=options.get("--redis"),
        operator_token=operator_token(),
    )


@contextmanager
def in_process(settings: Settings) -> Iterator[Wire]:
    """The app in this process: a uvicorn server on a loopback port (for lark-oapi and
    subprocesses) and a transport (for httpx), both into one app in one event loop."""
    app = create_app(settings)
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        server = uvicorn.Server(
            WireConfig(
                app,
                limits=WireLimits(),
                host="127.0.0.1",
                port=0,
                log_config=None,
                access_log=False,
                server_header=False,
                http=PROTOCOLS["httptools"],
                ws="websockets-sansio",  # the long connection
            )
        )
        done = portal.start_task_soon(server.serve)
        stack.callback(done.result, 30)
        stack.callback(setattr, server, "should_exit", True)
        port = portal.call(_bound_port, server, done.done)
        yield Wire(f"http://127.0.0.1:{port}", settings.db, PortalTransport(app, portal))


async def _bound_port(server: uvicorn.Server, failed: Callable[[], bool]) -> int:
    """The port uvicorn bound (it was asked for any), once it has started."""
    with anyio.fail_after(30):
        while not server.started:
            if failed():
                raise RuntimeError("the in-process server did not start")
            await anyio.sleep(0.005)
    return int(server.servers[0].sockets[0].getsockname()[1])


@contextmanager
def serve(db: str | Path, *extra: str, log_dir: Path | None = None) -> Iterator[Wire]:
    """`larkdesk serve --db db *extra`: in this process unless `--live`. In-process, only
    `IN_PROCESS_OPTIONS` are honoured (others raise); ask `start_server` for the rest."""
    if not live_mode():
        with in_process(_settings(db, extra)) as wire:
            yield wire
        return
    live = start_server(db, *extra, log_dir=log_dir)
    try:
        yield Wire(live.base_url, live.db, live=True)
    finally:
        stop_server(live)
