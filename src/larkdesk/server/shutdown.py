"""Graceful shutdown: what a server process does between SIGTERM and its exit.

uvicorn does the HTTP part (`serve --graceful-timeout`): once the hooks below are done it
stops accepting, lets requests in flight finish within the timeout, then runs the app's
lifespan shutdown, where event delivery finishes the sends in flight (bounded the same
way) and hands back the rest.

Code holding connections that never end on their own (event long connections) registers a
hook here, so it can tell its clients to reconnect elsewhere as soon as SIGTERM arrives;
uvicorn gets the signal only when the hooks have finished, since its own shutdown closes
every WebSocket (1012) and a hint sent after that would be lost:

    services.shutdown.register(close_long_connections)   # async () -> None

Hooks start when SIGTERM (or SIGINT) arrives, in the server's event loop, and together
have the graceful timeout; `draining` turns `/readyz` to 503 from that moment.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

log = logging.getLogger("larkdesk.shutdown")
Hook = Callable[[], Awaitable[None]]
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownHooks:
    def __init__(self, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        self.draining = False
        self._hooks: list[Hook] = []
        self._task: asyncio.Task[None] | None = None

    def register(self, hook: Hook) -> None:
        """Run `hook` when the process is told to stop (each hook once)."""
        self._hooks.append(hook)

    def begin(self) -> None:
        """The process is stopping: mark it draining and start the hooks (in the loop)."""
        if self.draining:
            return
        self.draining = True
        if self._hooks:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def wait(self) -> None:
        """Until the hooks started by `begin` have finished (or timed out)."""
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        hooks = [asyncio.ensure_future(hook()) for hook in self._hooks]
        done, pending = await asyncio.wait(hooks, timeout=self.timeout_s)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None:
                log.error("a shutdown hook failed", exc_info=task.exception())
        if pending:
            log.error("%d shutdown hook(s) cut off after %gs", len(pending), self.timeout_s)


def watch_signals(hooks: ShutdownHooks) -> Callable[[], None]:
    """Start `hooks` on SIGTERM or SIGINT and pass the signal on to the handler already
    installed (uvicorn's, which begins its own shutdown) once they have finished, so what
    the hooks say to clients goes out before uvicorn closes their sockets; bounded by the
    graceful timeout. A second signal passes on at once (uvicorn's "force exit"). Returns
    what undoes it. Only the main thread can set signal handlers: elsewhere (a server in a
    test's thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}
    signalled: list[int] = []
    tasks: set[asyncio.Task[None]] = set()  # a reference, so the task isn't collected

    def pass_on(sig: int, frame: FrameType | None) -> None:
        earlier = previous.get(sig)
        if callable(earlier):
            earlier(sig, frame)
        elif earlier == signal.SIG_DFL:  # no server handler: stop as the default would
            signal.signal(sig, earlier)
            signal.raise_signal(sig)

    async def drain_then_pass_on(sig: int, frame: FrameType | None) -> None:
        hooks.begin()
        try:
            await hooks.wait()
        finally:
            pass_on(sig, frame)

    def handler(sig: int, frame: FrameType | None) -> None:
        if signalled:
            pass_on(sig, frame)
            return
        signalled.append(sig)
        loop.call_soon_threadsafe(start, sig, frame)

    def start(sig: int, frame: FrameType | None) -> None:
        task = loop.create_task(drain_then_pass_on(sig, frame))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    for sig in SIGNALS:
        previous[sig] = signal.signal(sig, handler)

    def undo() -> None:
        for sig, earlier in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, earlier)

    return undo
