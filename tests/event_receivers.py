"""Event receivers for the tests: a small HTTP server on loopback whose handler is
lark-oapi's own `EventDispatcherHandler` (unchanged), which answers challenges, checks
token and signature, decrypts, and parses events into its `P2Helpdesk...` models."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import lark_oapi as lark
from lark_oapi.core.model import RawRequest


@dataclass
class Received:
    event_type: str
    event_id: str
    parsed: Any  # the SDK's P2Helpdesk... object
    at: float = field(default_factory=time.monotonic)


class LarkReceiver:
    """Answers like an app built on lark-oapi; `fail_first` requests get HTTP 500 first,
    `hang_s` holds every request that long before answering."""

    def __init__(
        self, token: str, encrypt_key: str = "", fail_first: int = 0, hang_s: float = 0
    ) -> None:
        self.received: list[Received] = []
        self.requests = 0
        self.fail_first = fail_first
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self.handler = (
            lark.EventDispatcherHandler.builder(encrypt_key, token, lark.LogLevel.ERROR)
            .register_p2_helpdesk_ticket_created_v1(self._keep)
            .register_p2_helpdesk_ticket_updated_v1(self._keep)
            .register_p2_helpdesk_ticket_message_created_v1(self._keep)
            .register_p2_helpdesk_notification_approve_v1(self._keep)
            .build()
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook/event"

    def _keep(self, data: Any) -> None:
        with self._lock:
            self.received.append(Received(data.header.event_type, data.header.event_id, data))

    def __enter__(self) -> LarkReceiver:
        if not self._thread.is_alive():  # started already by whoever configured the app
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.event_type == event_type]

    def wait_for(self, count: int, event_type: str, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of_type(event_type)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{len(self.of_type(event_type))} of {count} {event_type} arrived")

    def _answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            failing = self.fail_first > 0
            self.fail_first -= failing
        if self.hang_s:
            time.sleep(self.hang_s)
        if failing:
            return 500, b'{"msg":"not now"}'
        request = RawRequest()
        request.uri, request.body, request.headers = "/webhook/event", body, headers
        response = self.handler.do(request)
        return response.status_code, response.content or b""

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, content = receiver._answer(body, dict(self.headers.items()))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a hanging receiver's lot)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
