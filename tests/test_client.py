"""larkdesk.client against fakes: tokens, the helpdesk header, retries, typed errors, pacing."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from larkdesk.client import (
    AuthenticationFailed,
    ConnectionFailed,
    FeishuClient,
    InvalidRequest,
    PaceLimit,
    Pacer,
    RateLimitExceeded,
    ServerError,
)
from larkdesk.client.pacing import default_limits

TOKEN = "/open-apis/auth/v3/tenant_access_token/internal"
TICKETS = "/open-apis/helpdesk/v1/tickets"


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ok(total: int = 1) -> httpx.Response:
    body = {"code": 0, "msg": "success", "data": {"total": total, "tickets": [{"ticket_id": "1"}]}}
    return httpx.Response(200, json=body)


def token_response(n: int, expire: int = 7200) -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "tenant_access_token": f"t-{n}", "expire": expire})


def make(
    handler: Callable[[httpx.Request], httpx.Response], fake: FakeTime, **options: object
) -> FeishuClient:
    return FeishuClient(
        "cli_a",
        "secret-value",
        "7000000000000000001",
        "hd-token",
        base_url="https://open.feishu.cn",
        transport=httpx.MockTransport(handler),
        clock=fake.clock,
        sleep=fake.sleep,
        per_second=None,
        **options,  # type: ignore[arg-type]
    )


def test_token_is_fetched_once_and_both_headers_are_sent() -> None:
    fake, seen = FakeTime(), []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == TOKEN:
            assert json.loads(request.content) == {"app_id": "cli_a", "app_secret": "secret-value"}
            return token_response(len(seen))
        return ok()

    client = make(handler, fake)
    page = client.list_tickets({"status_list": [50, 51], "page_size": 5})
    client.list_tickets({})
    assert page.total == 1 and page.tickets == [{"ticket_id": "1"}]
    assert [r.url.path for r in seen] == [TOKEN, TICKETS, TICKETS]
    assert seen[1].url.query == b"status_list=50&status_list=51&page_size=5"
    assert seen[1].headers["authorization"] == "Bearer t-1"
    # base64("7000000000000000001:hd-token")
    assert seen[1].headers["x-lark-helpdesk-authorization"] == (
        "NzAwMDAwMDAwMDAwMDAwMDAwMTpoZC10b2tlbg=="
    )
    assert "secret" not in repr(client)


def test_token_is_refreshed_ten_minutes_before_it_expires() -> None:
    fake, tokens = FakeTime(), []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            tokens.append(1)
            return token_response(len(tokens))
        return ok()

    client = make(handler, fake)
    client.list_tickets({})
    fake.now += 7200 - 601
    client.list_tickets({})
    assert len(tokens) == 1
    fake.now += 2
    client.list_tickets({})
    assert len(tokens) == 2


def test_an_invalid_token_is_replaced_once_then_reported() -> None:
    fake, calls = FakeTime(), {"token": 0, "list": 0}
    invalid = {"code": 99991663, "msg": "Invalid access token for authorization."}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            calls["token"] += 1
            return token_response(calls["token"])
        calls["list"] += 1
        if request.headers["authorization"] == "Bearer t-1":
            return httpx.Response(400, json=invalid)
        return ok()

    assert make(handler, fake).list_tickets({}).total == 1
    assert calls == {"token": 2, "list": 2}

    def always_invalid(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            return token_response(9)
        return httpx.Response(400, json=invalid, headers={"x-tt-logid": "log-1"})

    with pytest.raises(AuthenticationFailed) as caught:
        make(always_invalid, fake).list_tickets({})
    assert caught.value.code == 99991663 and caught.value.log_id == "log-1"


def test_a_refused_secret_is_an_authentication_error_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 10014, "msg": "app secret invalid"})

    with pytest.raises(AuthenticationFailed, match="10014") as caught:
        make(handler, FakeTime()).list_tickets({})
    assert "secret-value" not in str(caught.value)


def test_429_waits_for_the_reset_header_then_succeeds() -> None:
    fake, answers = FakeTime(), iter(["limited", "limited", "ok"])
    limited = {"code": 99991400, "msg": "request trigger frequency limit"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            return token_response(1)
        if next(answers) == "limited":
            return httpx.Response(429, json=limited, headers={"x-ogw-ratelimit-reset": "3"})
        return ok()

    assert make(handler, fake).list_tickets({}).total == 1
    assert len(fake.sleeps) == 2 and all(3 <= s <= 3.5 for s in fake.sleeps)


def test_server_errors_and_dropped_connections_back_off_exponentially() -> None:
    fake, answers = FakeTime(), iter(["drop", "500", "502-html", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            return token_response(1)
        answer = next(answers)
        if answer == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if answer == "500":
            return httpx.Response(500, json={"code": 155000, "msg": "Internal error"})
        if answer == "502-html":
            return httpx.Response(502, text="<html>Bad Gateway</html>")
        return ok()

    assert make(handler, fake, backoff_seconds=1.0).list_tickets({}).total == 1
    # attempt n waits between half and all of 1 s * 2^(n-1)
    assert len(fake.sleeps) == 3
    assert all(b / 2 <= s <= b for s, b in zip(fake.sleeps, (1, 2, 4), strict=True))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(429, json={"code": 99991400, "msg": "limit"}), RateLimitExceeded),
        (httpx.Response(503, text="unavailable"), ServerError),
        (None, ConnectionFailed),
        (httpx.Response(400, json={"code": 154000, "msg": "page_size: too big"}), InvalidRequest),
    ],
)
def test_attempts_are_bounded_and_errors_typed(
    answer: httpx.Response | None, error: type[Exception]
) -> None:
    fake, calls = FakeTime(), []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            return token_response(1)
        calls.append(1)
        if answer is None:
            raise httpx.ConnectError("connection refused")
        return answer

    with pytest.raises(error):
        make(handler, fake, max_attempts=4).list_tickets({})
    assert len(calls) == (1 if error is InvalidRequest else 4)


def test_pacer_keeps_every_second_and_minute_under_its_limit() -> None:
    fake = FakeTime()
    pacer = Pacer(default_limits(45), clock=fake.clock, sleep=fake.sleep)
    sent = []
    for _ in range(2000):
        pacer.wait()
        sent.append(fake.now)
        fake.now += 0.001  # the request itself
    for i, at in enumerate(sent):
        assert sum(1 for t in sent[i : i + 46] if t < at + 1.0) <= 45
        assert sum(1 for t in sent[i : i + 951] if t < at + 60.0) <= 950
    assert sent[-1] - sent[0] >= 60.0  # 2,000 requests need more than two minutes' worth


def test_pacer_off_never_sleeps() -> None:
    fake = FakeTime()
    pacer = Pacer((), clock=fake.clock, sleep=fake.sleep)
    for _ in range(1000):
        pacer.wait()
    assert fake.sleeps == []
    assert default_limits(None) == () and default_limits(10) == (
        PaceLimit(10, 1.0),
        PaceLimit(600, 60.0),
    )
