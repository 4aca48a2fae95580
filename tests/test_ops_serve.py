"""Operability of a real `larkdesk serve`: metrics summed over two workers, JSON request
logs without secrets, and SIGTERM: a rolling restart under load answers every request,
and a request in flight is finished before the process exits."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from larkdesk.store.sqlite import SQLiteStore

from .conftest import (
    LIST_PATH,
    TOKEN_PATH,
    Identity,
    LiveServer,
    auth_headers,
    provision,
    start_server,
    stop_server,
)

NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)  # a new connection per request


@pytest.fixture
def db_and_identity(tmp_path: Path) -> tuple[Path, Identity]:
    db = tmp_path / "ops.db"
    store = SQLiteStore(db)
    try:
        return db, provision(store)
    finally:
        store.close()


@pytest.fixture
def two_workers(db_and_identity: tuple[Path, Identity]) -> Iterator[LiveServer]:
    server = start_server(
        db_and_identity[0], "--workers", "2", "--rate-limit", "off", "--log-format", "json"
    )
    try:
        yield server
    finally:
        stop_server(server)


def json_lines(server: LiveServer) -> list[dict[str, Any]]:
    assert server.log is not None
    return [json.loads(line) for line in server.log.read_text().splitlines() if line]


def worker_pids(server: LiveServer) -> list[int]:
    assert server.log is not None
    found = re.findall(r"Started server process \[(\d+)\]", server.log.read_text())
    return [int(pid) for pid in found]


def counted(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_metrics_add_up_across_two_workers(
    two_workers: LiveServer, db_and_identity: tuple[Path, Identity]
) -> None:
    identity = db_and_identity[1]
    sent = 0
    with httpx.Client(base_url=two_workers.base_url, limits=NO_KEEPALIVE, timeout=30) as http:
        headers = auth_headers(http, identity)

        def one(_: int) -> int:
            return http.get(LIST_PATH, headers=headers).status_code

        with ThreadPoolExecutor(8) as pool:
            while sent < 400:  # until both workers have answered some
                assert set(pool.map(one, range(40))) == {200}
                sent += 40
                served = {
                    line["pid"] for line in json_lines(two_workers) if line.get("api") == LIST_PATH
                }
                if len(served) == 2:
                    break
        assert len(served) == 2, "one worker answered every request"
        # each worker writes its figures out once a second (and before answering a scrape)
        time.sleep(1.5)
        scrapes = [http.get("/metrics") for _ in range(6)]
    scrapers = {line["pid"] for line in json_lines(two_workers) if line.get("api") == "/metrics"}
    listed = {"method": "GET", "api": LIST_PATH, "status": "200", "code": "0"}
    for scrape in scrapes:  # whichever worker answers, the sum over both
        assert scrape.status_code == 200
        assert counted(scrape.text, "larkdesk_requests_total", **listed) == sent
        assert counted(scrape.text, "larkdesk_tokens_issued_total", kind="tenant") == 1
        count = counted(
            scrape.text, "larkdesk_request_duration_seconds_count", method="GET", api=LIST_PATH
        )
        assert count == sent
    assert scrapers <= set(worker_pids(two_workers))


def test_rolling_restart_under_load_answers_every_request(
    two_workers: LiveServer, db_and_identity: tuple[Path, Identity]
) -> None:
    identity = db_and_identity[1]
    with httpx.Client(base_url=two_workers.base_url, timeout=30) as http:
        headers = auth_headers(http, identity)
    old = worker_pids(two_workers)
    assert len(old) == 2
    stop = threading.Event()
    statuses: list[int] = []
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=two_workers.base_url, limits=NO_KEEPALIVE, timeout=30) as c:
            while not stop.is_set():
                try:
                    statuses.append(c.get(LIST_PATH, headers=headers).status_code)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(1)
        for restarted, pid in enumerate(old, start=1):
            os.kill(pid, signal.SIGTERM)  # the supervisor starts a new worker in its place
            wait_for(lambda n=restarted: _startups(two_workers) >= 2 + n, 60)
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in clients:
            thread.join(60)
    assert failures == []
    assert len(statuses) > 50 and set(statuses) == {200}
    assert not set(worker_pids(two_workers)[-2:]) & set(old)  # both were replaced


def _startups(server: LiveServer) -> int:
    assert server.log is not None
    return server.log.read_text().count("Application startup complete")


def wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.parametrize("workers", [("--workers", "1"), ("--workers", "2")], ids=str)
def test_a_request_in_flight_is_answered_after_sigterm(
    db_and_identity: tuple[Path, Identity], workers: tuple[str, ...]
) -> None:
    db, identity = db_and_identity
    server = start_server(db, "--rate-limit", "off", "--graceful-timeout", "20", *workers)
    try:
        port = int(server.base_url.rsplit(":", 1)[1])
        body = json.dumps({"app_id": identity.app_id, "app_secret": identity.app_secret})
        head = (
            f"POST {TOKEN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=30) as slow:
            slow.sendall(head.encode() + body[:10].encode())  # the body is still coming
            time.sleep(0.3)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.process.poll() is None  # waiting for the request in flight
            with pytest.raises(httpx.ConnectError):  # but no longer accepting
                httpx.get(server.base_url + "/healthz", timeout=2)
            slow.sendall(body[10:].encode())
            answer = _read_response(slow)
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"connection: close" in answer.lower()
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == 0
        # uvicorn re-raises the SIGTERM once it has finished, so one process ends by it
        assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        stop_server(server)


def _read_response(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):  # the server closes after answering
        chunks.append(chunk)
    return b"".join(chunks)


def test_json_logs_one_line_per_request_without_secrets(
    db_and_identity: tuple[Path, Identity], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, identity = db_and_identity
    monkeypatch.setenv("LARKDESK_LOG_FORMAT", "json")  # the variable, as the flag
    server = start_server(db, "--rate-limit", "off", "--workers", "1")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            headers = auth_headers(http, identity)
            token = headers["Authorization"].removeprefix("Bearer ")
            assert http.get(LIST_PATH, headers=headers).status_code == 200
            forged = '/x%0A{"log_id":"FORGED"}%E2%80%A8%1B[31m'
            assert http.get(forged).status_code == 404
    finally:
        stop_server(server)
    assert server.log is not None
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line]  # every line is JSON
    access = [line for line in lines if line["logger"] == "larkdesk.access"]
    access = [line for line in access if line["path"] != "/"]  # start_server's probe
    assert len(access) == 3
    token_line, list_line, forged_line = access
    assert token_line["api"] == TOKEN_PATH and token_line["app_id"] == identity.app_id
    assert list_line["app_id"] == identity.app_id
    assert (list_line["method"], list_line["api"], list_line["status"]) == ("GET", LIST_PATH, 200)
    assert list_line["code"] == "0" and isinstance(list_line["ms"], float)
    assert re.fullmatch(r"\d{14}[0-9A-F]{18}", list_line["log_id"])
    assert forged_line["api"] == "unmatched" and forged_line["status"] == 404
    assert forged_line["path"] == '/x\n{"log_id":"FORGED"}\u2028\x1b[31m'  # kept, escaped
    assert "FORGED" not in {line.get("log_id") for line in lines}
    assert not re.search(r"[\x00-\x1f\x7f\u2028\u2029]", text.replace("\n", ""))
    for secret in (identity.app_secret, token, identity.helpdesk_token):
        assert secret not in text
