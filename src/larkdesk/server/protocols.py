"""uvicorn's HTTP protocols, hardened below Starlette, where the app cannot reach:

- what uvicorn answers itself (a request it cannot parse: bad bytes in the request line
  or headers, a URL httptools cannot hold) is Feishu's JSON envelope, 400/154000 with
  `X-Tt-Logid`, not the plain text `Invalid HTTP request received.`;
- a request's line and headers may take `max_head_bytes` (refused as soon as more has
  arrived without the head ending, so a huge header is never held in memory);
- the head must arrive within `head_timeout` seconds, the body within `body_timeout`
  after it; a slower client gets 408 (JSON) and is disconnected;
- response header names go out in canonical case (`wire_headers`);
- on shutdown (SIGTERM), a connection whose first request is on its way (accepted, head
  not yet read) is answered before it closes, as a request in flight is: uvicorn closes
  such a connection at once, and a client that had just connected would get no answer.

`WireConfig` carries the limits into every worker process (uvicorn pickles the config to
spawn them); `larkdesk serve` passes one of the two protocol classes as `http=`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol, cast

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from ..errors import BadRequest, FeishuError, RequestTimeout
from . import envelope
from .limits import WireLimits
from .logsafe import escape
from .requestlog import new_log_id
from .wire_headers import HeadCaseTransport, canonical_name

access_log = logging.getLogger("larkdesk.access")
# On shutdown, how long a connection that has sent nothing yet may take to send its request.
FIRST_REQUEST_GRACE_S = 1.0


class WireConfig(uvicorn.Config):
    """uvicorn's config plus larkdesk's `WireLimits` (pickled with it into workers)."""

    def __init__(self, app: Any, *, limits: WireLimits, **kwargs: Any) -> None:
        super().__init__(app, h11_max_incomplete_event_size=limits.max_head_bytes, **kwargs)
        self.wire_limits = limits


def head_size(scope: dict[str, Any]) -> int:
    """Bytes of the request line and headers as they came (names and values exact)."""
    target = len(scope["raw_path"]) + (
        len(scope["query_string"]) + 1 if scope["query_string"] else 0
    )
    fields = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    return len(scope["method"]) + target + len(" HTTP/1.1\r\n") + 1 + fields + 2


class _Cycle(Protocol):
    response_started: bool
    response_complete: bool
    disconnected: bool
    message_event: asyncio.Event


def error_bytes(error: FeishuError, log_id: str) -> bytes:
    """A whole HTTP response, written by the protocol itself, closing the connection."""
    response = envelope.error_response(error, log_id)
    head = f"HTTP/1.1 {error.http_status} {HTTPStatus(error.http_status).phrase}"
    fields = [
        (canonical_name(name.encode()), value.encode()) for name, value in response.headers.items()
    ]
    fields += [(b"X-Tt-Logid", log_id.encode()), (b"Connection", b"close")]
    lines = [head.encode("latin-1"), *(name + b": " + value for name, value in fields)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + bytes(response.body)


class ConnectionGuard:
    """One connection's read limits: what is being read (head, body, nothing), how many
    head bytes so far, and the timer of the current read."""

    def __init__(
        self,
        limits: WireLimits,
        loop: asyncio.AbstractEventLoop,
        on_timeout: Callable[[FeishuError | None], None],
    ) -> None:
        self.limits = limits
        self._loop = loop
        self._on_timeout = on_timeout
        self.reading: str | None = "head"
        self.head_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._response_done = True

    def start(self) -> None:
        self._next_head()

    def received(self, size: int) -> None:
        if self.reading == "head":
            self.head_bytes += size

    def head_too_large(self) -> bool:
        """After the bytes were parsed: whether the head is still open and too long."""
        return self.reading == "head" and self.head_bytes > self.limits.max_head_bytes

    def head_done(self) -> None:
        self.reading, self._response_done = "body", False
        self._arm(self.limits.body_timeout)

    def body_done(self) -> None:
        self.reading = None
        self._cancel()
        if self._response_done:
            self._next_head()

    def response_done(self) -> None:
        self._response_done = True
        if self.reading is None:  # else the body's timer bounds the rest being drained
            self._next_head()

    def stop(self) -> None:
        self._cancel()

    def _next_head(self) -> None:
        self.reading, self.head_bytes = "head", 0
        self._arm(self.limits.head_timeout)

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._timer = self._loop.call_later(seconds, self._expired)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.reading == "head" and not self._response_done:
            return  # a pipelined request's response is still being made
        if self.reading == "head" and self.head_bytes == 0:
            self._on_timeout(None)  # an idle connection: close it without a word
            return
        what = "headers" if self.reading == "head" else "body"
        seconds = self.limits.head_timeout if what == "headers" else self.limits.body_timeout
        self._on_timeout(RequestTimeout(f"the request {what} did not arrive within {seconds:g} s"))


class _Hardened:
    """What both protocols share; `transport`, `cycle` and `app` are uvicorn's."""

    transport: Any
    cycle: Any
    app: Any
    loop: asyncio.AbstractEventLoop
    guard: ConnectionGuard
    wire: HeadCaseTransport

    # uvicorn's protocol classes come after this one in each subclass's MRO: `super()` is
    # theirs (hence the ignores: this class alone has no such methods).
    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)  # type: ignore[call-arg]
        self._setup(config, self.loop)
        self._draining = False
        self._answered = 0

    def shutdown(self) -> None:
        """The server is stopping: finish what is under way. A request whose head is
        arriving, or the first request of a connection just accepted, counts as under way
        (the connection closes after answering it); an idle kept-alive connection closes."""
        self._draining = True
        head_coming = self.guard.reading == "head" and (
            self.guard.head_bytes > 0 or not self._answered
        )
        if head_coming and (self.cycle is None or self.cycle.response_complete):
            self.loop.call_later(FIRST_REQUEST_GRACE_S, self._close_if_idle)
            return
        super().shutdown()  # type: ignore[misc]

    def _close_if_idle(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.guard.head_bytes == 0 and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.wire = HeadCaseTransport(cast(asyncio.Transport, transport))  # a TCP stream
        super().connection_made(self.wire)  # type: ignore[misc]
        self.guard.start()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.stop()
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        self._parse_failed()

    def _setup(self, config: uvicorn.Config, loop: asyncio.AbstractEventLoop) -> None:
        limits = getattr(config, "wire_limits", None) or WireLimits()
        self.guard = ConnectionGuard(limits, loop, self._timed_out)
        inner = self.app
        max_head = limits.max_head_bytes

        async def app(scope: Any, receive: Any, send: Any) -> None:
            # The head may have come in one read, past the incremental count: measure it.
            if scope["type"] == "http" and head_size(scope) > max_head:
                self.answer(BadRequest(_too_large(max_head)), scope)
                return
            if self._draining and self.cycle is not None:
                self.cycle.keep_alive = False  # answered with `Connection: close`
            await inner(scope, receive, send)

        self.app = app

    def answer(self, error: FeishuError, scope: dict[str, Any] | None = None) -> None:
        """Answer `error` in the JSON envelope and close, unless a response is under way."""
        cycle: _Cycle | None = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app, if running, sees a disconnect
            cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()
                return
        log_id = new_log_id()
        if not self.transport.is_closing():
            self.transport.write(error_bytes(error, log_id))
            self.transport.close()
        method, path = (scope["method"], scope["path"]) if scope else ("-", "-")
        access_log.info(
            "log_id=%s method=%s path=%s status=%s reason=%s",
            log_id,
            escape(method),
            escape(path),
            error.http_status,
            escape(error.message),
        )

    def _timed_out(self, error: FeishuError | None) -> None:
        answered = self.cycle is not None and self.cycle.response_started
        if error is None or (self.guard.reading == "body" and answered):
            self.transport.close()  # idle, or the rest of an answered request's body
        else:
            in_body = self.guard.reading == "body" and self.cycle is not None
            self.answer(error, self.cycle.scope if in_body else None)

    def _parse_failed(self) -> None:
        if self.guard.head_bytes > self.guard.limits.max_head_bytes:
            self.answer(BadRequest(_too_large(self.guard.limits.max_head_bytes)))
        else:
            self.answer(BadRequest("the request could not be parsed as HTTP/1.1"))


def _too_large(limit: int) -> str:
    return f"the request line and headers are larger than {limit} bytes"


class LarkdeskHttpToolsProtocol(_Hardened, HttpToolsProtocol):
    """uvicorn's httptools protocol (the fast one), hardened."""

    def data_received(self, data: bytes) -> None:
        self.guard.received(len(data))
        super().data_received(data)
        if self.guard.head_too_large() and not self.transport.is_closing():
            self.answer(BadRequest(_too_large(self.guard.limits.max_head_bytes)))

    def on_headers_complete(self) -> None:
        self.guard.head_done()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.guard.body_done()

    def on_response_complete(self) -> None:
        self._answered += 1
        self.wire.next_response()
        self.guard.response_done()
        super().on_response_complete()


class LarkdeskH11Protocol(_Hardened, H11Protocol):
    """uvicorn's h11 protocol (pure Python), hardened; `h11_max_incomplete_event_size`
    is the head limit, so h11 never buffers more than that of an unfinished head."""

    def data_received(self, data: bytes) -> None:
        self.guard.received(len(data))
        super().data_received(data)
        self._follow_h11()
        if self.guard.head_too_large() and not self.transport.is_closing():
            self.answer(BadRequest(_too_large(self.guard.limits.max_head_bytes)))

    def on_response_complete(self) -> None:
        self._answered += 1
        self.wire.next_response()
        self.guard.response_done()
        super().on_response_complete()
        self._follow_h11()

    def _follow_h11(self) -> None:
        """Move the guard along h11's view of the client: IDLE (head), SEND_BODY, DONE."""
        state = self.conn.their_state
        if self.guard.reading == "head" and state is not h11.IDLE and state is not h11.ERROR:
            self.guard.head_done()
        if self.guard.reading == "body" and state is not h11.SEND_BODY:
            self.guard.body_done()


class _Supervisor(Multiprocess):
    """uvicorn's worker supervisor, which on SIGTERM also stops accepting at once: it holds
    the listening socket too, and would leave new connections waiting in its backlog,
    unanswered, while its workers finish what they have (the graceful timeout)."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


PROTOCOLS: dict[str, type[asyncio.Protocol]] = {
    "httptools": LarkdeskHttpToolsProtocol,
    "h11": LarkdeskH11Protocol,
}
