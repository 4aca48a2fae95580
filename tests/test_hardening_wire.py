"""The wire below Starlette, on a real `larkdesk serve` over loopback, with each of
uvicorn's HTTP parsers: canonical header case (lark-oapi reads `X-Tt-Logid` and
`Content-Type` case-sensitively), JSON answers to what the HTTP parser refuses, bounded
heads and bodies, and slow clients cut off."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from larkdesk.auth.credentials import encode_helpdesk_header

from .conftest import LIST_PATH, TOKEN_PATH, LiveServer, larkdesk, start_server, stop_server

READ_TIMEOUT = 1.0  # seconds; the server's --read-timeout, short so the tests are quick
GENEROUS = 15.0  # an upper bound no loaded machine should reach


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    db = tmp_path_factory.mktemp("wire") / "larkdesk.db"
    out = larkdesk("demo", "--tickets", "30", "--seed", "14", db=db)
    return db, json.loads(out.stdout)


@pytest.fixture(scope="module", params=["httptools", "h11"])
def server(
    request: pytest.FixtureRequest, demo: tuple[Path, dict[str, str]]
) -> Iterator[LiveServer]:
    live = start_server(
        demo[0], "--http", request.param, "--read-timeout", str(READ_TIMEOUT)
    )  # Feishu's rate limits on: only the 429 test comes near them
    yield live
    stop_server(live)


def port_of(server: LiveServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


class Answer:
    """A raw HTTP answer: its head's lines exactly as sent, and its JSON body."""

    def __init__(self, raw: bytes, seconds: float) -> None:
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines[0] else 0
        self.names = [line.split(":", 1)[0] for line in lines[1:]]
        self.headers = {
            n: line.split(":", 1)[1].strip() for n, line in zip(self.names, lines[1:], strict=True)
        }
        self.body: Any = json.loads(body) if body else None
        self.seconds = seconds


def exchange(server: LiveServer, *parts: bytes, pause: float = 0.0) -> Answer:
    """Send `parts` (sleeping `pause` between them) on a new connection; read until closed."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=GENEROUS) as sock:
        try:
            for part in parts:
                sock.sendall(part)
                time.sleep(pause)
        except OSError:  # the server may answer and close before all of it is sent
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return Answer(received, time.monotonic() - started)


def read_one(sock: socket.socket, started: float) -> Answer:
    """One response off a connection that stays open: its head, then Content-Length bytes."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head = received.partition(b"\r\n\r\n")[0]
    length = Answer(head, 0).headers["Content-Length"]
    while len(received.partition(b"\r\n\r\n")[2]) < int(length):
        received += sock.recv(65536)
    return Answer(received, time.monotonic() - started)


def assert_json_error(answer: Answer, status: int, code: int, words: str = "") -> None:
    assert answer.status == status, answer.__dict__
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.body["code"] == code and words in answer.body["msg"], answer.body
    assert answer.body["error"]["log_id"] == answer.headers["X-Tt-Logid"]


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


# -- 1. header-name case ------------------------------------------------------------------


def test_header_names_go_out_in_canonical_case(server: LiveServer) -> None:
    answer = exchange(
        server, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % LIST_PATH.encode()
    )
    assert {"X-Tt-Logid", "Content-Type", "Content-Length", "Date"} <= set(answer.names), (
        answer.names
    )
    assert all(name[:1].isupper() for name in answer.names), answer.names


def test_lark_oapi_reads_the_log_id_and_parses_generic_requests(
    server: LiveServer, demo: tuple[Path, dict[str, str]]
) -> None:
    import lark_oapi as lark
    from lark_oapi.api.helpdesk.v1 import ListTicketRequest

    creds = demo[1]
    client = (
        lark.Client.builder()
        .app_id(creds["app_id"])
        .app_secret(creds["app_secret"])
        .domain(server.base_url)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    helpdesk = encode_helpdesk_header(creds["helpdesk_id"], creds["helpdesk_token"])
    option = (
        lark.RequestOption.builder().headers({"X-Lark-Helpdesk-Authorization": helpdesk}).build()
    )
    listed = client.helpdesk.v1.ticket.list(
        ListTicketRequest.builder().page_size(2).build(), option
    )
    assert listed.success(), listed.msg
    assert listed.get_log_id() and listed.get_log_id() == listed.raw.headers["X-Tt-Logid"]

    def generic(option: Any) -> Any:
        request = (
            lark.BaseRequest.builder()
            .http_method(lark.HttpMethod.GET)
            .uri(LIST_PATH)
            .token_types({lark.AccessTokenType.TENANT})
            .queries([("page_size", "1")])
            .build()
        )
        return client.request(request, option)

    answered = generic(option)
    assert answered.code == 0 and answered.msg == "success", answered.raw.content
    refused = generic(lark.RequestOption.builder().build())  # no helpdesk header: 401 JSON
    assert refused.code == 154001 and refused.get_log_id()


def test_a_429_names_its_headers_in_canonical_case(
    server: LiveServer, demo: tuple[Path, dict[str, str]]
) -> None:
    creds = demo[1]
    token = httpx.post(
        server.base_url + TOKEN_PATH,
        json={"app_id": creds["app_id"], "app_secret": creds["app_secret"]},
    ).json()["tenant_access_token"]
    helpdesk = encode_helpdesk_header(creds["helpdesk_id"], creds["helpdesk_token"])
    request = (
        b"GET %s/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        b"X-Lark-Helpdesk-Authorization: %s\r\nConnection: close\r\n\r\n"
    ) % (LIST_PATH.encode(), token.encode(), helpdesk.encode())
    answers = [exchange(server, request) for _ in range(12)]  # ticket get: 10 a second
    limited = next(a for a in answers if a.status == 429)
    assert {"X-Ogw-Ratelimit-Limit", "X-Ogw-Ratelimit-Reset", "Retry-After"} <= set(limited.names)
    assert limited.headers["X-Ogw-Ratelimit-Limit"] == "10"
    assert int(limited.headers["Retry-After"]) >= 1


def test_keep_alive_still_serves_request_after_request(server: LiveServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=GENEROUS)
    try:
        for _ in range(3):
            conn.request("POST", TOKEN_PATH, body=b'{"app_id": "x"}')
            response = conn.getresponse()
            assert json.loads(response.read())["code"] == 10003
            assert response.getheader("X-Tt-Logid")
    finally:
        conn.close()


# -- 3. what the HTTP parser refuses is JSON ----------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /x y z HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHo\x01st: x\r\n\r\n",
        b"GET /x HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # TLS to a plain port
        b"GET %s?tags=%s HTTP/1.1\r\nHost: x\r\n\r\n" % (LIST_PATH.encode(), b"a" * 70_000),
    ],
    ids=["request line", "header byte", "header name", "tls hello", "70 KB query"],
)
def test_a_request_the_parser_refuses_is_a_json_400(server: LiveServer, raw: bytes) -> None:
    assert_json_error(exchange(server, raw), 400, 154000)


# -- 4. bounded heads, bodies and read times ----------------------------------------------


def test_a_huge_header_is_refused_at_once_without_holding_it(server: LiveServer) -> None:
    before = rss_kib(server.process.pid)
    head = b"GET %s HTTP/1.1\r\nHost: x\r\nX-Big: " % LIST_PATH.encode()
    answer = exchange(server, head, *([b"a" * (1 << 20)] * 10), b"\r\n\r\n")
    assert_json_error(answer, 400, 154000, "larger than 65536 bytes")
    assert answer.seconds < GENEROUS
    assert rss_kib(server.process.pid) - before < 5 * 1024  # far below the 10 MiB sent


def test_a_head_just_over_the_limit_in_one_piece_is_refused(server: LiveServer) -> None:
    raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n" % (b"a" * 65_600)
    assert_json_error(exchange(server, raw), 400, 154000, "larger than 65536 bytes")
    fits = exchange(server, b"GET %s HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\nConnection: close\r\n\r\n"
                    % (LIST_PATH.encode(), b"a" * 60_000))  # fmt: skip
    assert_json_error(fits, 400, 99991661)  # read in full, and on to the gateway


def test_a_huge_content_length_to_the_token_endpoint_is_refused_without_reading(
    server: LiveServer,
) -> None:
    before = rss_kib(server.process.pid)
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n" % TOKEN_PATH.encode()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=GENEROUS) as sock:
        sock.sendall(head + b"{" * 1000)
        answer = read_one(sock, started)
    assert answer.status == 200 and answer.body == {"code": 10003, "msg": "invalid param"}
    assert answer.seconds < READ_TIMEOUT  # answered before the read timeout could matter
    assert rss_kib(server.process.pid) - before < 5 * 1024


def test_a_chunked_body_stops_being_read_at_the_limit(server: LiveServer) -> None:
    head = (
        b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % TOKEN_PATH.encode()
    )
    chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=GENEROUS) as sock:
        sock.sendall(head + chunk * 2)
        answer = read_one(sock, time.monotonic())
    assert answer.body == {"code": 10003, "msg": "invalid param"}


@pytest.mark.parametrize(
    "parts",
    [
        [b"GET / HTTP/1.1\r\n", *[b"X-A: b\r\n"] * 30],
        [
            b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" % TOKEN_PATH.encode(),
            *[b"{"] * 30,
        ],
    ],
    ids=["headers", "body"],
)
def test_a_slow_loris_is_cut_off_within_the_read_timeout(
    server: LiveServer, parts: list[bytes]
) -> None:
    answer = exchange(server, *parts, pause=0.2)  # would take 6 s to send
    assert_json_error(answer, 408, 154000, f"did not arrive within {READ_TIMEOUT:g} s")
    assert answer.seconds < 30 * 0.2  # the client was cut off before it was done


def test_a_connection_that_never_sends_is_closed(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=GENEROUS) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""
        assert time.monotonic() - started < GENEROUS


def test_workers_use_the_hardened_protocol_too(demo: tuple[Path, dict[str, str]]) -> None:
    live = start_server(demo[0], "--workers", "2", "--rate-limit", "off")
    try:
        assert_json_error(exchange(live, b"GET /x y z HTTP/1.1\r\n\r\n"), 400, 154000)
        answer = exchange(
            live, b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % LIST_PATH.encode()
        )
        assert "X-Tt-Logid" in answer.names and "Content-Type" in answer.names
    finally:
        stop_server(live)
