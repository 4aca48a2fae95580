"""Helpdesk events into the official Node SDK (`@larksuiteoapi/node-sdk`, pinned in
tests/node, installed by scripts/test with `npm ci`): its `EventDispatcher` behind
`adaptDefault` on a plain http server receives created and updated events, with and
without an encrypt key. Locally a missing node (or SDK) skips with the reason; under
CI=true it fails, as the PostgreSQL tests do."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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

NODE_DIR = Path(__file__).parent / "node"


def _node() -> str:
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (NODE_DIR / "node_modules" / "@larksuiteoapi" / "node-sdk").is_dir():
        missing = "the Node SDK is not installed (scripts/test runs npm ci in tests/node)"
    if missing is None and node is not None:
        return node
    reason = f"Node SDK tests: {missing}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true they must run, not skip", pytrace=False)
    pytest.skip(reason)


class NodeReceiver:
    def __init__(self, token: str, encrypt_key: str) -> None:
        env = {**os.environ, "LARK_VERIFICATION_TOKEN": token, "LARK_ENCRYPT_KEY": encrypt_key}
        self.process = subprocess.Popen(
            [_node(), "receiver.js"],
            cwd=NODE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        port = self.lines.get(timeout=20)["port"]
        self.url = f"http://127.0.0.1:{port}/webhook/event"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next_event(self, timeout: float = 15) -> dict[str, Any]:
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def node_desk(logs: Path, tickets: int, seed: int) -> Iterator[Desk]:
    """A demo on SQLite served live for the Node SDK (skips or fails without node first)."""
    _node()
    db = str(logs / "larkdesk.db")
    out = larkdesk("demo", "--tickets", str(tickets), "--seed", str(seed), db=db)  # type: ignore[arg-type]
    live = serve(db, logs)
    yield Desk(live, json.loads(out.stdout))
    stop_server(live)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    yield from node_desk(tmp_path_factory.mktemp("node"), 10, 23)


@pytest.mark.parametrize("encrypt_key", ["", "node key"], ids=["plain", "encrypted"])
def test_created_and_updated_reach_the_node_sdk(desk: Desk, encrypt_key: str) -> None:
    app = new_app(desk, "node")
    token = str(events_settings(desk, app["app_id"])["verification_token"])
    receiver = NodeReceiver(token, encrypt_key)
    try:
        key_args = ["--encrypt-key", encrypt_key] if encrypt_key else []
        events_settings(desk, app["app_id"], "--url", receiver.url, *key_args)  # the challenge
        with api_for(desk, app) as api:
            assert api.post(SUBSCRIBE, json={"events": TICKET_EVENTS}).json()["code"] == 0
        guest = a_guest(desk)
        ticket_id = start_ticket(desk, guest)
        created = receiver.next_event()
        assert created["type"] == CREATED
        data = created["data"]  # the Node SDK merges header and event into one object
        assert data["ticket_id"] == ticket_id and data["guest"]["id"]["open_id"] == guest
        assert data["app_id"] == app["app_id"] and data["create_time"].isdigit()
        assert len(data["event_id"]) == 32
        with api_for(desk, desk.creds) as api:
            url = f"/open-apis/helpdesk/v1/tickets/{ticket_id}"
            assert api.put(url, json={"status": 51}).json()["code"] == 0
        updated = receiver.next_event()
        assert updated["type"] == UPDATED
        assert updated["data"]["object"]["status"] == 51
        assert updated["data"]["old_object"]["status"] == 1
    finally:
        receiver.close()


def test_the_node_receiver_rejects_a_forged_signature(desk: Desk) -> None:
    """The Node SDK checks signatures when it has a key: a body signed wrongly is not
    handed to the app (so the deliveries above were signed right)."""
    receiver = NodeReceiver("t", "node key")
    try:
        body = b'{"encrypt":"AAECAwQFBgcICQoLDA0ODw9mLTIAZS9jAmGTQ1wAhHpnBHVL2wRjH9rPunQ="}'
        headers = {
            "X-Lark-Request-Timestamp": "1",
            "X-Lark-Request-Nonce": "2",
            "X-Lark-Signature": "0" * 64,
            "Content-Type": "application/json",
        }
        with contextlib.suppress(httpx.HTTPError):  # adaptDefault drops the connection
            httpx.post(receiver.url, content=body, headers=headers, timeout=5)
        with pytest.raises(queue.Empty):
            receiver.next_event(timeout=1)
    finally:
        receiver.close()
