"""larkdesk sync: a local mirror of a remote helpdesk that answers the same list API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from larkdesk.client import ConnectionFailed
from larkdesk.helpdesk.fields.service import define_field
from larkdesk.helpdesk.models import Ticket, TicketUser, to_record
from larkdesk.store.base import Store
from larkdesk.transfer.remote import Remote
from larkdesk.transfer.sync import DEFAULT_OVERLAP_MS, sync_once

from .conftest import LIST_PATH, auth_headers, make_client
from .seeded import Seeded, current_tickets, now_ms, seeded_server

FIELDS_PATH = "/open-apis/helpdesk/v1/ticket_customized_fields"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with seeded_server(tmp_path_factory.mktemp("sync")) as found:
        yield found


def remote_of(seeded: Seeded) -> Remote:
    i = seeded.identity
    return Remote(seeded.server.base_url, i.app_id, i.helpdesk_id, i.app_secret, i.helpdesk_token)


class DiesAfter(httpx.BaseTransport):
    """A network that goes away for good after `n` requests."""

    def __init__(self, n: int, inner: httpx.BaseTransport) -> None:
        self.left = n
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.left -= 1
        if self.left < 0:
            raise httpx.ConnectError("network unreachable")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_first_sync_resumes_then_syncs_are_incremental_and_idempotent(
    seeded: Seeded, store: Store
) -> None:
    remote, hd = remote_of(seeded), seeded.identity.helpdesk_id
    source = seeded.current()  # (the other backend's run of this test added tickets)
    client = seeded.client(transport=DiesAfter(25, seeded.transport()), max_attempts=2)
    with client, pytest.raises(ConnectionFailed):
        sync_once(client, store, remote)
    state = store.get_sync_state(hd)
    assert state is not None and state.high_water_ms == -1 and state.initial_through_ms > 0
    partial = store.count_tickets(hd)
    assert 0 < partial < len(source)

    with seeded.client() as client:
        first = sync_once(client, store, remote)  # the rest of the first pass
        assert first.first_pass and first.stored == len(source) - partial
        assert current_tickets(store, hd) == seeded.current()

        # nothing changed: only what the overlap (5 min) covers is read again
        again = sync_once(client, store, remote)
        recent = [
            t
            for t in source.values()
            for at in (t["created_at"], t["updated_at"])
            if int(at) >= first.high_water_ms - DEFAULT_OVERLAP_MS  # type: ignore[call-overload]
        ]
        assert not again.first_pass and again.fetched == again.stored == len(recent)
        assert current_tickets(store, hd) == seeded.current()
        assert again.high_water_ms > first.high_water_ms

        # the remote changes: updates, and new tickets that are never updated (-1)
        changed = [t for t in seeded.tickets[:: len(seeded.tickets) // 40]]
        now = now_ms()
        seeded.store.upsert_tickets(
            to_record(Ticket(**{**_fields(t), "status": 52, "updated_at": now}), hd)
            for t in changed
        )
        fresh = [
            Ticket(ticket_id=f"99{n}", created_at=now - n, status=1, guest=TicketUser(name="N"))
            for n in range(30)
        ]
        seeded.store.upsert_tickets(to_record(t, hd) for t in fresh)
        third = sync_once(client, store, remote)
        assert third.stored >= len(changed) + len(fresh)
        assert third.fetched < 200  # only what changed (and the overlap), not everything
        assert current_tickets(store, hd) == seeded.current()
        # the status history: the state each sync brought, from its source, none invented
        moved = next(t for t in changed if t.status != 52)
        history = store.ticket_history(hd, str(moved.ticket_id))
        assert history is not None and history[0].old_status is None
        assert history[-1].new_status == 52 and len(history) <= 2
        assert {(h.actor.kind, h.actor.source) for h in history} == {("sync", remote.base_url)}
        assert sync_once(client, store, remote).stored >= 0  # harmless to repeat
        assert current_tickets(store, hd) == seeded.current()


def test_the_mirror_answers_the_same_list_api_with_the_same_credentials(
    seeded: Seeded, store: Store
) -> None:
    with seeded.client() as client:
        sync_once(client, store, remote_of(seeded))
    query = {"status_list": [50, 51], "page": 3, "page_size": 50, "guest_name": "guest 1"}
    with seeded.server.client() as source:
        expected = source.get(
            LIST_PATH, params=query, headers=auth_headers(source, seeded.identity)
        )
    with make_client(store) as mirror:
        answer = mirror.get(LIST_PATH, params=query, headers=auth_headers(mirror, seeded.identity))
    assert answer.status_code == 200 and expected.status_code == 200
    assert answer.json() == expected.json() and answer.json()["data"]["total"] > 150


def test_the_mirror_has_the_remote_custom_fields_and_updates_can_set_them(
    seeded: Seeded, store: Store
) -> None:
    hd = seeded.identity.helpdesk_id
    if not any(
        b"urgency" in r.body for r in seeded.store.list_customized_fields(hd)
    ):  # (the other backend's run of this test made it already)
        define_field(seeded.store, hd, "urgency", "紧急程度", "dropdown", ("高", "中", "低"))
    with seeded.client() as client:
        report = sync_once(client, store, remote_of(seeded))
    assert report.fields == 1
    with seeded.server.client() as source:
        expected = source.get(FIELDS_PATH, headers=auth_headers(source, seeded.identity)).json()
    with make_client(store) as mirror:
        headers = auth_headers(mirror, seeded.identity)
        assert mirror.get(FIELDS_PATH, headers=headers).json() == expected
        field_id = expected["data"]["items"][0]["ticket_customized_field_id"]
        ticket_id = seeded.tickets[7].ticket_id
        update = {"customized_fields": [{"id": field_id, "value": "高"}]}
        answer = mirror.put(f"{LIST_PATH}/{ticket_id}", json=update, headers=headers).json()
        assert answer["code"] == 0, answer
        shown = mirror.get(f"{LIST_PATH}/{ticket_id}", headers=headers).json()["data"]["ticket"]
        assert shown["customized_fields"][0]["value"] == "高"
        seeded.store.delete_customized_field(hd, field_id)  # deleted at the source
        with seeded.client() as client:
            assert sync_once(client, store, remote_of(seeded)).fields == 0
        assert mirror.get(FIELDS_PATH, headers=headers).json()["data"]["items"] == []
        shown = mirror.get(f"{LIST_PATH}/{ticket_id}", headers=headers).json()["data"]["ticket"]
        assert shown["customized_fields"][0]["value"] == "高"  # the ticket keeps its value


def test_sync_command_once_and_every(seeded: Seeded, tmp_path: Path) -> None:
    db = tmp_path / "mirror.db"
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "LARKDESK_APP_SECRET": seeded.identity.app_secret,
        "LARKDESK_HELPDESK_TOKEN": seeded.identity.helpdesk_token,
    }
    command = [
        sys.executable, "-m", "larkdesk", "sync", "--from", seeded.server.base_url,
        "--app-id", seeded.identity.app_id, "--helpdesk-id", seeded.identity.helpdesk_id,
        "--db", str(db), "--max-rps", "0",
    ]  # fmt: skip
    once = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=120
    )
    assert once.returncode == 0, once.stderr
    report = json.loads(once.stdout)
    assert report["first_pass"] and report["stored"] == len(seeded.current())
    assert seeded.identity.app_secret not in once.stdout + once.stderr
    looping = subprocess.Popen(
        [*command, "--every", "1s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert looping.stdout is not None
        while len(lines) < 2:
            lines.append(looping.stdout.readline())
    finally:
        looping.send_signal(2)  # Ctrl-C
        looping.communicate(timeout=30)
    assert [json.loads(line)["first_pass"] for line in lines] == [False, False]
    assert looping.returncode == 130


def _fields(ticket: Ticket) -> dict[str, object]:
    return {name: getattr(ticket, name) for name in ticket.__struct_fields__}
