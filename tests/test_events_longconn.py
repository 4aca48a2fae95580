"""Helpdesk events over the long connection (EVENTS.md §3.7), end to end on each store: a
real `larkdesk serve --workers 2` delivers to lark-oapi's `lark.ws.Client` (unchanged, in a
subprocess: tests/lark_ws_receiver.py) and to the Node SDK's `WSClient`
(tests/node/ws_receiver.js); a raw WebSocket client (the `websockets` library and the
protocol's own frames) checks what the SDKs take for granted: frame headers, acks that
fail or never come, ping/pong, the connection cap.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from larkdesk.events import pbbp2
from larkdesk.store import open_store

from .backends import BACKEND_NAMES, postgres_schema
from .conftest import larkdesk, stop_server
from .test_events_delivery import (
    CREATED,
    SUBSCRIBE,
    TICKET_EVENTS,
    UPDATED,
    Desk,
    a_guest,
    api_for,
    events_settings,
    new_app,
    serve,
    start_ticket,
)
from .test_events_node import NODE_DIR, _node

MESSAGE = "helpdesk.ticket_message.created_v1"
ALL_EVENTS = [
    *TICKET_EVENTS,
    {"type": "helpdesk.ticket_message", "subtype": "ticket_message.created_v1"},
]
ENDPOINT = "/callback/ws/endpoint"
SERVE = ("--event-retry", ",".join(["1"] * 15), "--workers", "2")
SQLITE_ONLY = pytest.mark.parametrize("desk", ["sqlite"], indirect=True)  # no store in play
_http: dict[str, httpx.Client] = {}


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    logs = tmp_path_factory.mktemp("longconn")
    if request.param == "sqlite":
        db = str(logs / "larkdesk.db")
        out = larkdesk("demo", "--tickets", "5", "--seed", "31", db=db)  # type: ignore[arg-type]
        live = serve(db, logs, *SERVE)
        yield Desk(live, json.loads(out.stdout))
        _close_http(live.base_url)
        stop_server(live)
        return
    with postgres_schema() as url:
        out = larkdesk("demo", "--tickets", "5", "--seed", "32", db=url)  # type: ignore[arg-type]
        live = serve(url, logs, *SERVE)
        yield Desk(live, json.loads(out.stdout))
        _close_http(live.base_url)
        stop_server(live)


def _close_http(base_url: str) -> None:
    client = _http.pop(base_url, None)
    if client is not None:
        client.close()


def long_connection_app(desk: Desk) -> dict[str, str]:
    """A new app of the demo's tenant, in long-connection mode, subscribed to every
    helpdesk event of the demo helpdesk."""
    app = new_app(desk, "long connection")
    assert events_settings(desk, app["app_id"], "--mode", "long-connection")["mode"] == (
        "long-connection"
    )
    with api_for(desk, app) as api:
        assert api.post(SUBSCRIBE, json={"events": ALL_EVENTS}).json()["code"] == 0
    return app


def endpoint(desk: Desk, app_id: str, secret: str) -> dict[str, Any]:
    body = {"AppID": app_id, "AppSecret": secret}
    if desk.server.base_url not in _http:  # one client per server: quicker than one per call
        _http[desk.server.base_url] = httpx.Client(timeout=10)
    answer = _http[desk.server.base_url].post(desk.server.base_url + ENDPOINT, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def outbox_states(desk: Desk, app_id: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each of the app's events, oldest first: its state and its attempts' (code, error)."""
    store = open_store(desk.db)
    try:
        entries = store.event_log(app_id, False, 100)
    finally:
        store.close()
    return [(e.state, [(a.status, a.error) for a in e.attempts]) for e in reversed(entries)]


def wait_until(check: Any, timeout: float = 15, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


class Lines:
    """A subprocess's stdout, one JSON object per line (others ignored)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                continue

    def next(self, timeout: float = 60) -> dict[str, Any]:
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def lark_client(desk: Desk, app: dict[str, str], log: Path) -> Lines:
    """lark-oapi's ws client for `app`, imported and waiting for `go` (a line on stdin)."""
    script = Path(__file__).parent / "lark_ws_receiver.py"
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, str(script), app["app_id"], app["app_secret"], desk.server.base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    return Lines(process)


def go(client: Lines) -> None:
    assert client.process.stdin is not None
    client.process.stdin.write("go\n")
    client.process.stdin.flush()


# -- lark-oapi's ws client ---------------------------------------------------------------


@pytest.mark.timeout(120)
def test_lark_oapi_ws_client_gets_every_event_and_acks(desk: Desk, tmp_path: Path) -> None:
    """The app is offline when its first event is written: that attempt fails and the
    event arrives on a retry once the client connects. Then created, updated and message
    events (one message large enough to be sent in fragments), parsed by lark-oapi into
    its models, acked (the outbox shows them delivered). Writes go through fresh
    connections, so both workers write events, whichever holds the connection."""
    app = long_connection_app(desk)
    client = lark_client(desk, app, tmp_path / "lark-ws.log")
    try:
        guest = a_guest(desk)
        first = start_ticket(desk, guest)
        wait_until(lambda: any(a for _, a in outbox_states(desk, app["app_id"])), what="an attempt")
        (_, attempts), *_ = outbox_states(desk, app["app_id"])
        assert attempts[0] == (0, "no live long connection")
        assert client.next()["ready"]  # imported (seconds), not yet connected
        go(client)
        created = client.next()
        assert created["type"] == CREATED and created["model"] == "P2HelpdeskTicketCreatedV1"
        assert (created["ticket_id"], created["open_id"]) == (first, guest)
        assert created["app_id"] == app["app_id"]

        big = "事" * 15_000  # 45 KB of UTF-8, twice in the event: three fragments
        for text in ("hello over the long connection", big):
            with api_for(desk, desk.creds) as api:  # a new connection: either worker
                url = f"/open-apis/helpdesk/v1/tickets/{first}/messages"
                content = json.dumps({"text": text}, ensure_ascii=False)
                body = json.dumps({"msg_type": "text", "content": content}, ensure_ascii=False)
                headers = {"Content-Type": "application/json"}
                posted = api.post(url, content=body.encode(), headers=headers).json()
                assert posted["code"] == 0, posted
            message = client.next()
            assert message["type"] == MESSAGE and message["text"] == text
            assert message["model"] == "P2HelpdeskTicketMessageCreatedV1"
        with api_for(desk, desk.creds) as api:
            url = f"/open-apis/helpdesk/v1/tickets/{first}"
            assert api.put(url, json={"status": 50}).json()["code"] == 0
        updated = client.next()
        assert updated["type"] == UPDATED and updated["model"] == "P2HelpdeskTicketUpdatedV1"
        assert (updated["status"], updated["old_status"]) == (50, 1)
        more = [start_ticket(desk, guest) for _ in range(4)]
        while len(_pids_that_wrote(desk)) < 2 and len(more) < 30:  # the kernel picks
            more.append(start_ticket(desk, guest))
        assert sorted(client.next()["ticket_id"] for _ in more) == sorted(more)
        events = wait_until(
            lambda: (
                [s for s in outbox_states(desk, app["app_id"]) if s[0] == "delivered"]
                if all(s[0] == "delivered" for s in outbox_states(desk, app["app_id"]))
                else None
            ),
            what="every event delivered",
        )
        assert len(events) == 1 + 2 + 1 + len(more)
        assert events[0][1][0][1] == "no live long connection"  # the offline attempt
        assert all(attempts[-1] == (200, "") for _, attempts in events)
        writers = _pids_that_wrote(desk)
        assert len(writers) == 2, f"every write went to one worker: {writers}"
    finally:
        client.close()


def _pids_that_wrote(desk: Desk) -> set[str]:
    """The worker processes that answered a PUT or POST (the request log)."""
    assert desk.server.log is not None
    pids = set()
    for line in desk.server.log.read_text().splitlines():
        if "larkdesk.access" in line and ("method=PUT" in line or "method=POST" in line):
            pids.add(line.split("pid=")[1].split()[0])
    return pids


@SQLITE_ONLY
def test_lark_oapi_ws_client_is_refused_with_feishus_codes(desk: Desk, tmp_path: Path) -> None:
    """Bad credentials, an app in webhook mode: lark-oapi's client raises (no retry)
    with Feishu's code; the endpoint answers each with its code and a `data` object. (In
    a subprocess: a lark-oapi ws client made in this process leaves coroutines that are
    never awaited, which fail whichever test is running when they are collected.)"""
    app = new_app(desk, "webhook app")
    clients = {
        code: lark_client(desk, {**app, "app_secret": secret}, tmp_path / f"{code}.log")
        for secret, code in ((app["app_secret"], 403), ("wrong", 514))
    }  # importing lark-oapi takes seconds: both at once, while the endpoint is checked
    try:
        wrong = endpoint(desk, app["app_id"], "not the secret")
        assert (wrong["code"], wrong["data"]) == (514, {})
        webhook = endpoint(desk, app["app_id"], app["app_secret"])
        assert webhook["code"] == 403 and "--mode long-connection" in webhook["msg"]
        unknown = endpoint(desk, "cli_0000000000000000", "x")
        assert unknown["code"] == 514
        assert endpoint(desk, app["app_id"], "")["code"] == 1000040344
        for code, client in clients.items():
            assert client.next()["ready"]
            go(client)
            assert client.next()["refused"] == code
    finally:
        for client in clients.values():
            client.close()


@SQLITE_ONLY
def test_endpoint_bodies_are_checked(desk: Desk) -> None:
    url = desk.server.base_url + ENDPOINT
    for body in (b"{", b"[1]", b'"x"'):
        answer = httpx.post(url, content=body, timeout=10)
        assert answer.status_code == 400 and answer.json()["code"] == 154000, answer.text
    assert httpx.get(url, timeout=10).status_code == 404


# -- the protocol, by hand ---------------------------------------------------------------


def open_socket(desk: Desk, app: dict[str, str]) -> tuple[ClientConnection, int]:
    found = endpoint(desk, app["app_id"], app["app_secret"])
    assert found["code"] == 0, found
    data = found["data"]
    assert set(data["ClientConfig"]) == {
        "ReconnectCount",
        "ReconnectInterval",
        "ReconnectNonce",
        "PingInterval",
    }
    url = data["URL"]
    query = dict(p.split("=", 1) for p in url.split("?", 1)[1].split("&"))
    assert not url.split("?", 1)[1].startswith(("device_id", "service_id"))
    return connect(url, proxy=None), int(query["service_id"])


def next_event(sock: ClientConnection, timeout: float = 15) -> pbbp2.Frame:
    while True:
        frame = pbbp2.decode(sock.recv(timeout=timeout))  # type: ignore[arg-type]
        if frame.method == pbbp2.DATA:
            return frame


def ack(sock: ClientConnection, frame: pbbp2.Frame, code: int) -> None:
    """The frame echoed back with `biz_rt` and the ack's payload, as the SDKs answer."""
    payload = json.dumps({"code": code, "headers": None, "data": None}).encode()
    headers = [*frame.headers, (pbbp2.BIZ_RT, "1")]
    sock.send(pbbp2.Frame(frame.method, frame.service, headers, payload, frame.seq_id).encode())


@SQLITE_ONLY
def test_frames_acks_and_ping_by_hand(desk: Desk) -> None:
    """An event frame carries the five headers the SDKs require and the plain envelope; a
    ping is answered with a pong carrying the ClientConfig; an ack with code 500, and no
    ack at all (3 s), are failed attempts, retried on the schedule with the same event_id;
    an ack with 200 delivers."""
    app = long_connection_app(desk)
    sock, service_id = open_socket(desk, app)
    try:
        ping = pbbp2.Frame(pbbp2.CONTROL, service_id, [(pbbp2.TYPE, pbbp2.PING)])
        sock.send(ping.encode())
        answer = pbbp2.decode(sock.recv(timeout=10))  # type: ignore[arg-type]
        assert (answer.method, answer.header(pbbp2.TYPE)) == (pbbp2.CONTROL, pbbp2.PONG)
        assert json.loads(answer.payload)["PingInterval"] == 120

        ticket_id = start_ticket(desk, a_guest(desk))
        first = next_event(sock)
        for key in (pbbp2.TYPE, pbbp2.MESSAGE_ID, pbbp2.SUM, pbbp2.SEQ, pbbp2.TRACE_ID):
            assert first.header(key), key
        assert (first.header(pbbp2.TYPE), first.header(pbbp2.SUM)) == ("event", "1")
        body = json.loads(first.payload)
        assert body["schema"] == "2.0" and body["header"]["event_type"] == CREATED
        assert body["event"]["ticket_id"] == ticket_id and "encrypt" not in body
        ack(sock, first, 500)
        second = next_event(sock)  # not acked: the attempt times out
        third = next_event(sock, timeout=20)
        ack(sock, third, 200)
        again = [json.loads(f.payload)["header"]["event_id"] for f in (second, third)]
        assert again == [body["header"]["event_id"]] * 2
        assert len({f.header(pbbp2.MESSAGE_ID) for f in (first, second, third)}) == 3
        (_, attempts), *_ = wait_until(
            lambda: [s for s in outbox_states(desk, app["app_id"]) if s[0] == "delivered"],
            what="the delivery",
        )
        assert [code for code, _ in attempts] == [500, 0, 200]
        assert "code 500" in attempts[0][1] and attempts[1][1] == "no ack within 3 s"
    finally:
        sock.close()


def test_fifty_connections_per_app_on_all_workers(desk: Desk) -> None:
    """The 51st connection is refused: by the endpoint (1000040350), and at the handshake
    for a URL handed out before the cap was reached (Feishu's handshake headers); one
    closing makes room again; a URL's ticket admits one connection only."""
    app = long_connection_app(desk)
    spare = endpoint(desk, app["app_id"], app["app_secret"])["data"]["URL"]
    socks = [open_socket(desk, app)[0] for _ in range(50)]
    try:
        refused = endpoint(desk, app["app_id"], app["app_secret"])
        assert refused["code"] == 1000040350 and refused["data"] == {}
        with pytest.raises(InvalidStatus) as denied:
            connect(spare, proxy=None)
        headers = denied.value.response.headers
        assert headers["Handshake-Status"] == "514"
        assert headers["Handshake-Autherrcode"] == "1000040350"
        socks.pop().close()
        wait_until(
            lambda: endpoint(desk, app["app_id"], app["app_secret"])["code"] == 0,
            what="room for one more",
        )
        socks.append(connect(spare, proxy=None))  # the spare URL is good now
        with pytest.raises(InvalidStatus):
            connect(spare, proxy=None)  # but once only
        bad = spare.replace("ticket=", "ticket=x")
        with pytest.raises(InvalidStatus) as forged:
            connect(bad, proxy=None)
        assert forged.value.response.headers["Handshake-Status"] == "514"
    finally:
        for sock in socks:
            sock.close()


# -- the Node SDK ------------------------------------------------------------------------


@SQLITE_ONLY
def test_node_ws_client_gets_events_and_acks(desk: Desk) -> None:
    node = _node()
    app = long_connection_app(desk)
    process = subprocess.Popen(
        [node, "ws_receiver.js", app["app_id"], app["app_secret"], desk.server.base_url],
        cwd=NODE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ},
    )
    client = Lines(process)
    try:
        wait_until(lambda: _live(desk, app["app_id"]) == 1, timeout=20, what="the Node client")
        guest = a_guest(desk)
        ticket_id = start_ticket(desk, guest)
        created = client.next()
        assert created["type"] == CREATED
        data = created["data"]  # header and event merged into one object by the SDK
        assert data["ticket_id"] == ticket_id and data["guest"]["id"]["open_id"] == guest
        assert data["app_id"] == app["app_id"] and len(data["event_id"]) == 32
        with api_for(desk, desk.creds) as api:
            url = f"/open-apis/helpdesk/v1/tickets/{ticket_id}"
            assert api.put(url, json={"status": 51}).json()["code"] == 0
        updated = client.next()
        assert updated["type"] == UPDATED and updated["data"]["old_object"]["status"] == 1
        wait_until(
            lambda: [s for s, _ in outbox_states(desk, app["app_id"])] == ["delivered"] * 2,
            what="both delivered",
        )
    finally:
        client.close()


def _live(desk: Desk, app_id: str) -> int:
    store = open_store(desk.db)
    try:
        return store.live_event_connections(app_id, int(time.time() * 1000))
    finally:
        store.close()


def test_a_stopping_server_sends_its_clients_to_the_next_one(
    tmp_path: Path,
) -> None:
    """SIGTERM: each long connection gets a pong whose ClientConfig says "reconnect within
    2 s" (the SDKs adopt it) and is then closed; /metrics counted it while it was open."""
    import signal

    from websockets.exceptions import ConnectionClosed

    db = str(tmp_path / "larkdesk.db")
    out = larkdesk("demo", "--tickets", "3", "--seed", "33", db=db)  # type: ignore[arg-type]
    own = Desk(serve(db, tmp_path), json.loads(out.stdout))
    try:
        app = long_connection_app(own)
        sock, _ = open_socket(own, app)
        with httpx.Client(base_url=own.server.base_url) as client:
            gauge = wait_until(
                lambda: "larkdesk_long_connections 1.0" in client.get("/metrics").text,
                what="the gauge",
            )
            assert gauge
        own.server.process.send_signal(signal.SIGTERM)
        hint = pbbp2.decode(sock.recv(timeout=10))  # type: ignore[arg-type]
        assert (hint.method, hint.header(pbbp2.TYPE)) == (pbbp2.CONTROL, pbbp2.PONG)
        config = json.loads(hint.payload)
        assert (config["ReconnectNonce"], config["ReconnectInterval"]) == (2, 5)
        with pytest.raises(ConnectionClosed):
            sock.recv(timeout=10)
        assert own.server.process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        _close_http(own.server.base_url)
        stop_server(own.server)
