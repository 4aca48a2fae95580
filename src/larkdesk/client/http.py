"""`FeishuClient`: the Feishu Open Platform calls larkdesk needs, over httpx.

It fetches the tenant access token and refreshes it before it expires (and once when
the server calls it invalid, 99991663), sends the helpdesk header, paces itself under
the API's limits, and retries rate limits (sleeping `x-ogw-ratelimit-reset`), server
errors and dropped connections with exponential backoff and jitter, a bounded number
of times. It works the same against https://open.feishu.cn and against larkdesk:
only `base_url` differs. Pass `transport=` to run it against an in-process app or a
fake in tests.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from ..auth.credentials import encode_helpdesk_header
from .errors import (
    INVALID_TOKEN,
    RATE_LIMITED,
    ApiError,
    ClientError,
    ConnectionFailed,
    api_error,
)
from .pacing import DEFAULT_PER_SECOND, Pacer, default_limits

FEISHU = "https://open.feishu.cn"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
TICKETS_PATH = "/open-apis/helpdesk/v1/tickets"
FIELDS_PATH = "/open-apis/helpdesk/v1/ticket_customized_fields"
FIELDS_PAGE_SIZE = 100
REFRESH_MARGIN_SECONDS = 600  # as lark-oapi: a token is treated as expired 10 min early
RETRYABLE = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)

log = logging.getLogger("larkdesk.client")
ParamValue = str | int | Sequence[str] | Sequence[int]


class WireTicket(dict[str, Any]):
    """One ticket as decoded, with the exact bytes the server sent for it in `wire`, so a
    mirror can keep them byte for byte."""

    wire: bytes


class _ListData(msgspec.Struct):
    total: int = 0
    tickets: list[msgspec.Raw] | None = None


class _ListAnswer(msgspec.Struct):
    data: _ListData | None = None


@dataclass(frozen=True, slots=True)
class TicketListPage:
    """One answer of the list API: `total` matching tickets and this page of them."""

    total: int
    tickets: list[dict[str, Any]]


def _wire_tickets(content: bytes) -> TicketListPage:
    """The page with each ticket's own bytes kept; an element that is not a JSON object
    stays a `WireTicket` with no keys (the mirror refuses it by its bytes)."""
    answer = msgspec.json.decode(content, type=_ListAnswer)
    data = answer.data or _ListData()
    tickets: list[dict[str, Any]] = []
    for raw in data.tickets or ():
        decoded = msgspec.json.decode(raw)
        ticket = WireTicket(decoded if isinstance(decoded, dict) else {})
        ticket.wire = bytes(raw)
        tickets.append(ticket)
    return TicketListPage(data.total, tickets)


class _Retry(Exception):
    """One attempt failed in a way worth another; `error` is raised if none is left."""

    def __init__(self, error: ClientError, delay: float | None = None) -> None:
        self.error = error
        self.delay = delay


class FeishuClient:
    """A Feishu-compatible client for one app (and optionally one helpdesk)."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        helpdesk_id: str | None = None,
        helpdesk_token: str | None = None,
        *,
        base_url: str = FEISHU,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        per_second: int | None = DEFAULT_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app_id = app_id
        self.base_url = base_url.rstrip("/")
        self._app_secret = app_secret
        self._helpdesk = (
            encode_helpdesk_header(helpdesk_id, helpdesk_token)
            if helpdesk_id and helpdesk_token
            else None
        )
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self._max_attempts = max(1, max_attempts)
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._clock = clock
        self._sleep = sleep
        self._pacer = Pacer(default_limits(per_second), clock=clock, sleep=sleep)
        self._token: str | None = None
        self._token_refresh_at = 0.0
        self.requests_sent = 0

    def __repr__(self) -> str:  # never the secrets
        return f"FeishuClient(app_id={self.app_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> FeishuClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the API ---------------------------------------------------------------------

    def tenant_access_token(self) -> str:
        """A valid tenant access token, fetched again when the last one nears its expiry."""
        if self._token is None or self._clock() >= self._token_refresh_at:
            body = self._call(
                "POST",
                TOKEN_PATH,
                json={"app_id": self.app_id, "app_secret": self._app_secret},
                authorized=False,
            )
            expire = float(body.get("expire") or 7200)
            self._token = str(body["tenant_access_token"])
            margin = min(REFRESH_MARGIN_SECONDS, expire / 2)
            self._token_refresh_at = self._clock() + expire - margin
        return self._token

    def list_tickets(self, params: Mapping[str, ParamValue]) -> TicketListPage:
        """One page of `GET /open-apis/helpdesk/v1/tickets` with these query parameters."""
        _, content = self._exchange("GET", TICKETS_PATH, params=params, authorized=True)
        try:
            return _wire_tickets(content)
        except msgspec.ValidationError as exc:
            shape = f"the list answer is not in the list API's shape: {exc}"
            raise ApiError(-1, shape, 200) from None

    def customized_fields(self) -> list[dict[str, Any]]:
        """Every custom-field definition of the helpdesk
        (`GET /open-apis/helpdesk/v1/ticket_customized_fields`, all pages)."""
        found: list[dict[str, Any]] = []
        params: dict[str, ParamValue] = {"page_size": FIELDS_PAGE_SIZE}
        while True:
            body = self._call("GET", FIELDS_PATH, params=params, authorized=True)
            data = body.get("data") or {}
            found.extend(item for item in data.get("items") or () if isinstance(item, dict))
            token = data.get("next_page_token")
            if not data.get("has_more") or not token:
                return found
            params = {"page_size": FIELDS_PAGE_SIZE, "page_token": str(token)}

    # -- one call: pacing, token, retries -------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue] | None = None,
        json: Any = None,
        authorized: bool,
    ) -> dict[str, Any]:
        return self._exchange(method, path, params=params, json=json, authorized=authorized)[0]

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, ParamValue] | None = None,
        json: Any = None,
        authorized: bool,
    ) -> tuple[dict[str, Any], bytes]:
        """The successful answer's decoded body and its bytes."""
        refreshed = False
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._attempt(method, path, params, json, authorized)
            except _Retry as retry:
                error = retry.error
                if isinstance(error, ApiError) and error.code == INVALID_TOKEN:
                    if refreshed:
                        raise error from None
                    refreshed = True  # the server forgot the token: fetch a new one, once
                    self._token = None
                    continue
                if attempt == self._max_attempts:
                    raise error from None
                delay = self._delay(attempt, retry.delay)
                log.info("retrying %s %s in %.2fs: %s", method, path, delay, error)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, ParamValue] | None,
        json: Any,
        authorized: bool,
    ) -> tuple[dict[str, Any], bytes]:
        headers = {}
        if authorized:
            headers["Authorization"] = f"Bearer {self.tenant_access_token()}"
            if self._helpdesk is not None:
                headers["X-Lark-Helpdesk-Authorization"] = self._helpdesk
        self._pacer.wait()
        self.requests_sent += 1
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except RETRYABLE as exc:
            raise _Retry(ConnectionFailed(_failure(method, path, exc))) from None
        except httpx.HTTPError as exc:
            raise ConnectionFailed(_failure(method, path, exc)) from None
        return _judge(response), response.content

    def _delay(self, attempt: int, reset: float | None) -> float:
        """Exponential backoff with jitter; after a 429, the server's reset plus jitter."""
        jitter = random.random()  # spreading retries, not security
        if reset is not None:
            return reset + jitter * min(1.0, self._backoff)
        ceiling = min(self._max_backoff, self._backoff * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + jitter / 2)


def _judge(response: httpx.Response) -> dict[str, Any]:
    """The body of a successful answer; otherwise raise the error (wrapped in `_Retry`
    when another attempt may succeed)."""
    log_id = response.headers.get("x-tt-logid", "")
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        body = None
    if not isinstance(body, dict):
        text = response.text[:200].strip() or response.reason_phrase
        error = api_error(-1, text, response.status_code, log_id)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(error, _reset(response))
        raise error
    code = int(body.get("code", -1))
    if code == 0 and response.status_code < 400:
        return body
    error = api_error(code, str(body.get("msg", "")), response.status_code, log_id)
    if response.status_code == 429 or code == RATE_LIMITED:
        raise _Retry(error, _reset(response))
    if response.status_code >= 500 or code == INVALID_TOKEN:
        raise _Retry(error)
    raise error


def _failure(method: str, path: str, exc: Exception) -> str:
    return f"{method} {path}: {type(exc).__name__}: {exc}"


def _reset(response: httpx.Response) -> float | None:
    """Seconds until a request would pass, from `x-ogw-ratelimit-reset` (if usable)."""
    value = response.headers.get("x-ogw-ratelimit-reset")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
