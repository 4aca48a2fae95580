"""Each ticket's status and stage history (migration 0016), on both stores: written with
every change through the API (start_service, update), the console and the CLI, and by an
import (one entry with its source, nothing invented); shown on the console's ticket page."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from starlette.testclient import TestClient

from larkdesk.auth.people import add_users
from larkdesk.store.base import Store, User
from larkdesk.transfer.importer import import_ndjson

from .conftest import LIST_PATH, Identity, auth_headers
from .console_data import SCRIPT, sign_in

START = "/open-apis/helpdesk/v1/start_service"


def entries(store: Store, identity: Identity, ticket_id: str) -> list[tuple[object, ...]]:
    found = store.ticket_history(identity.helpdesk_id, ticket_id)
    assert found is not None
    return [
        (h.old_status, h.new_status, h.old_stage, h.new_stage, h.actor.kind, h.actor.source)
        for h in found
    ]


def rows_on(page: str) -> list[tuple[str, str, str]]:
    table = page.split('id="status-history"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-old-status="(\d*)" data-new-status="(\d*)" data-kind="(\w+)"', table)


def test_api_and_console_changes_are_recorded_and_shown(
    store: Store, client: TestClient, identity: Identity
) -> None:
    add_users(store, identity.tenant_key, [User("ou_hist_guest", identity.tenant_key, "Guest")])
    headers = auth_headers(client, identity)
    started = client.post(START, json={"open_id": "ou_hist_guest"}, headers=headers).json()
    assert started["code"] == 0, started
    ticket_id = started["data"]["ticket_id"]
    # start_service: the first state (a bot ticket, status 1), by the app
    assert entries(store, identity, ticket_id) == [(None, 1, None, 1, "app", "api")]
    # an update that changes no status or stage adds nothing
    url = f"{LIST_PATH}/{ticket_id}"
    assert client.put(url, json={"comment": "hello"}, headers=headers).json()["code"] == 0
    assert len(entries(store, identity, ticket_id)) == 1
    assert client.put(url, json={"status": 2}, headers=headers).json()["code"] == 0
    found = store.ticket_history(identity.helpdesk_id, ticket_id)
    assert found is not None and found[-1].actor.id == identity.app_id
    # the console's status change, by the signed-in app
    csrf = sign_in(client, identity)
    page_url = f"/console/h/{identity.helpdesk_id}/tickets/{ticket_id}"
    done = client.post(page_url + "/update", data={"csrf": csrf, "status": "50"})
    assert done.status_code == 200
    assert entries(store, identity, ticket_id) == [
        (None, 1, None, 1, "app", "api"),
        (1, 2, 1, 1, "app", "api"),
        (2, 50, 1, 1, "app", "console"),
    ]
    # the ticket page shows them in order, with the comment history
    assert rows_on(done.text) == [("", "1", "app"), ("1", "2", "app"), ("2", "50", "app")]
    assert "(console)" in done.text and "hello" in done.text
    # a refused change (a bad status) writes no entry
    bad = client.post(page_url + "/update", data={"csrf": csrf, "status": "7"})
    assert bad.status_code == 400 and len(entries(store, identity, ticket_id)) == 3
    # another helpdesk's ticket has no history to read
    assert store.ticket_history("7000000000000000000", ticket_id) is None


def test_an_import_records_the_state_it_brought_with_its_source(
    store: Store, client: TestClient, identity: Identity, tmp_path: Path
) -> None:
    def ticket(n: int, status: int, name: str) -> dict[str, object]:
        return {
            "ticket_id": str(7100000000000000000 + n),
            "status": status,
            "ticket_type": 2,
            "created_at": 1_700_000_000_000 + n,
            "updated_at": 1_700_000_500_000 + n,
            "guest": {"id": f"ou_g{n}", "name": name},
        }

    path = tmp_path / "tickets.ndjson"
    first = [ticket(1, 2, f"a {SCRIPT}"), ticket(2, 50, "b")]
    path.write_bytes(b"".join(msgspec.json.encode(t) + b"\n" for t in first))
    assert import_ndjson(store, identity.helpdesk_id, path) == 2
    one, two = (str(7100000000000000000 + n) for n in (1, 2))
    assert entries(store, identity, one) == [(None, 2, None, 2, "import", str(path))]
    found = store.ticket_history(identity.helpdesk_id, one)
    assert found is not None and found[0].at == 1_700_000_500_001  # the ticket's own time
    # the same file again changes nothing: no entry; a changed status is one entry
    assert import_ndjson(store, identity.helpdesk_id, path) == 2
    path.write_bytes(
        b"".join(msgspec.json.encode(t) + b"\n" for t in [ticket(1, 50, "a"), ticket(2, 50, "b")])
    )
    import_ndjson(store, identity.helpdesk_id, path)
    assert entries(store, identity, one) == [
        (None, 2, None, 2, "import", str(path)),
        (2, 50, 2, 2, "import", str(path)),
    ]
    assert len(entries(store, identity, two)) == 1
    csrf = sign_in(client, identity)
    assert csrf
    page = client.get(f"/console/h/{identity.helpdesk_id}/tickets/{one}").text
    assert rows_on(page) == [("", "2", "import"), ("2", "50", "import")]
    assert str(path) in page
