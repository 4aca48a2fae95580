"""The outermost middleware: a log id per request (`x-tt-logid`), one log line per
request, and the one place where errors become wire responses."""

from __future__ import annotations

import logging
import secrets
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import FeishuError, InternalError, ServiceBusy
from ..store.base import StoreBusy
from . import envelope
from .logsafe import escape

access_log = logging.getLogger("larkdesk.access")
error_log = logging.getLogger("larkdesk.error")

LOGID_HEADER = b"x-tt-logid"


def new_log_id() -> str:
    """Feishu-style log id: a UTC timestamp and random hex, e.g. 20261124223413A1B2C3..."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        log_id = new_log_id()
        scope.setdefault("state", {})["log_id"] = log_id
        started = time.perf_counter()
        status = 0

        async def send_with_log_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (LOGID_HEADER, log_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_log_id)
        except ClientDisconnect:  # gone (or cut off by the read timeout): nobody to answer
            status = status or 499
        except FeishuError as error:
            await self._answer(error, log_id, scope, receive, send_with_log_id, status)
        except StoreBusy:  # a lock wait that ran out: retryable, never a 500
            error_log.warning("log_id=%s database busy on %s", log_id, escape(scope["path"]))
            await self._answer(ServiceBusy(), log_id, scope, receive, send_with_log_id, status)
        except Exception:
            error_log.exception("log_id=%s unhandled error on %s", log_id, escape(scope["path"]))
            await self._answer(InternalError(), log_id, scope, receive, send_with_log_id, status)
        finally:
            # Checked first: the escaping is per request, and `serve --log-level warning`
            # (load tests, benchmarks) writes no access line at all.
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "log_id=%s method=%s path=%s status=%s ms=%.1f",
                    log_id,
                    escape(scope["method"]),
                    escape(scope["path"]),
                    status,
                    (time.perf_counter() - started) * 1000,
                )

    @staticmethod
    async def _answer(
        error: FeishuError, log_id: str, scope: Scope, receive: Receive, send: Send, status: int
    ) -> None:
        if status:  # the response has started; nothing sane can be sent now
            return
        await envelope.error_response(error, log_id)(scope, receive, send)
