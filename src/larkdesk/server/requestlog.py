"""The outermost middleware: a log id per request (`x-tt-logid`), one log line per
request, its metrics, and the one place where errors become wire responses.

The log line names the API by its route template and never holds a query string, a
header or a body, so no token or secret reaches the log; the client-chosen path is
escaped (plain lines) or JSON-encoded (`--log-format json`)."""

from __future__ import annotations

import logging
import secrets
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import metrics
from ..errors import FeishuError, InternalError, ServiceBusy
from ..store.base import StoreBusy
from . import envelope
from .context import begin_request
from .logsafe import escape

access_log = logging.getLogger("larkdesk.access")
error_log = logging.getLogger("larkdesk.error")

LOGID_HEADER = b"x-tt-logid"


def new_log_id() -> str:
    """Feishu-style log id: a UTC timestamp and random hex, e.g. 20261124223413A1B2C3..."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


UNMATCHED = "unmatched"  # the API label of a path no route serves (never the path itself)


def _log_access(
    log_id: str, scope: Scope, api: str, status: int, code: str, app_id: str, seconds: float
) -> None:
    """The request's line; its fields also go as `extra` for the JSON formatter."""
    method, path, ms = escape(scope["method"]), escape(scope["path"]), seconds * 1000
    fields = {
        "log_id": log_id,
        "method": scope["method"],
        "api": api,
        "path": scope["path"],
        "status": status,
        "code": code,
        "app_id": app_id,
        "ms": round(ms, 1),
    }
    access_log.info(
        "log_id=%s method=%s path=%s status=%s ms=%.1f app=%s",
        log_id,
        method,
        path,
        status,
        ms,
        app_id or "-",
        extra={"fields": fields},
    )


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        log_id = new_log_id()
        scope.setdefault("state", {})["log_id"] = log_id
        facts = begin_request()
        started = time.perf_counter()
        status = 0
        code = ""

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
            code = str(error.code)
            await self._answer(error, log_id, scope, receive, send_with_log_id, status)
        except StoreBusy:  # a lock wait that ran out: retryable, never a 500
            error_log.warning("log_id=%s database busy on %s", log_id, escape(scope["path"]))
            code = str(ServiceBusy.code)
            await self._answer(ServiceBusy(), log_id, scope, receive, send_with_log_id, status)
        except Exception:
            error_log.exception("log_id=%s unhandled error on %s", log_id, escape(scope["path"]))
            code = str(InternalError.code)
            await self._answer(InternalError(), log_id, scope, receive, send_with_log_id, status)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            api = route.path if route is not None else UNMATCHED
            if not code and 200 <= status < 300:
                code = "0"
            metrics.observe_request(scope["method"], api, status, code, seconds)
            # Checked first: the escaping is per request, and `serve --log-level warning`
            # (load tests, benchmarks) writes no access line at all.
            if access_log.isEnabledFor(logging.INFO):
                _log_access(log_id, scope, api, status, code, facts.app_id, seconds)

    @staticmethod
    async def _answer(
        error: FeishuError, log_id: str, scope: Scope, receive: Receive, send: Send, status: int
    ) -> None:
        if status:  # the response has started; nothing sane can be sent now
            return
        await envelope.error_response(error, log_id)(scope, receive, send)
