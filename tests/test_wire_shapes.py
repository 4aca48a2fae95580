"""`serve --wire observed`: list and get answer `comments` and `dissatisfaction_reason` as
arrays, as Feishu's service has been seen to; the default stays the documented shape.
Through lark-oapi 1.7.5 this shows what an unhardened integration meets."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from lark_oapi.core.exception import UnmarshalException

from larkdesk.helpdesk.tickets.shapes import observed
from larkdesk.settings import Settings
from larkdesk.store.sqlite import SQLiteStore
from larkdesk.transfer.importer import import_ndjson

from .conftest import LIST_PATH, Identity, auth_headers, provision, start_server, stop_server
from .lark_sdk import LarkHelpdesk

DOCUMENTED = (
    b'{"ticket_id":"9001","created_at":1700000000000,"status":50,'
    b'"comments":{"content":"thanks","id":7300000000000000123,"created_at":1700000000001},'
    b'"dissatisfaction_reason":{"en_us":"slow","zh_cn":"\\u6162"},"score":1,"x_new":1.50}'
)
PLAIN = b'{"ticket_id":"9002","created_at":1700000000002,"status":1}'
LISTED = b'{"ticket_id":"9003","created_at":1700000000003,"comments":[{"content":"a"}]}'


def test_observed_wraps_the_two_objects_and_keeps_every_other_byte() -> None:
    shaped = observed(DOCUMENTED)
    assert shaped == (
        b'{"ticket_id":"9001","created_at":1700000000000,"status":50,'
        b'"comments":[{"content":"thanks","id":7300000000000000123,"created_at":1700000000001}],'
        b'"dissatisfaction_reason":[{"en_us":"slow","zh_cn":"\\u6162"}],"score":1,"x_new":1.50}'
    )
    assert observed(PLAIN) is PLAIN and observed(LISTED) is LISTED  # nothing to change


def test_the_wire_setting_is_read_and_handed_to_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().wire == "documented"
    monkeypatch.setenv("LARKDESK_WIRE", "observed")
    assert Settings.from_env().wire == "observed"
    assert Settings(wire="observed").to_env()["LARKDESK_WIRE"] == "observed"
    monkeypatch.setenv("LARKDESK_WIRE", "both")
    with pytest.raises(ValueError, match="LARKDESK_WIRE"):
        Settings.from_env()


def _served(tmp_path: Path) -> tuple[Path, Identity]:
    db = tmp_path / "wire.db"
    store = SQLiteStore(db)
    identity = provision(store)
    source = tmp_path / "tickets.ndjson"
    source.write_bytes(b"\n".join([DOCUMENTED, PLAIN]) + b"\n")
    import_ndjson(store, identity.helpdesk_id, source)
    store.close()
    return db, identity


@pytest.mark.parametrize("wire", ["documented", "observed"])
def test_list_and_get_in_each_wire_shape_through_httpx_and_lark_oapi(
    tmp_path: Path, wire: str
) -> None:
    db, identity = _served(tmp_path)
    server = start_server(db, "--rate-limit", "off", "--wire", wire)
    try:
        with httpx.Client(base_url=server.base_url) as http:
            headers = auth_headers(http, identity)
            listed = http.get(LIST_PATH, headers=headers).json()["data"]["tickets"]
            got = http.get(f"{LIST_PATH}/9001", headers=headers).json()["data"]["ticket"]
        sdk = LarkHelpdesk(server.base_url, identity)
        if wire == "documented":
            assert got == json.loads(DOCUMENTED) and listed[1] == got
            assert sdk.get("9001").data.ticket.comments.content == "thanks"
            assert sdk.list().data.tickets[1].dissatisfaction_reason.en_us == "slow"
            return
        assert got["comments"] == [json.loads(DOCUMENTED)["comments"]]
        assert got["dissatisfaction_reason"] == [{"en_us": "slow", "zh_cn": "慢"}]
        assert listed == [json.loads(PLAIN), got]
        # lark-oapi 1.7.5's TicketV2 expects one object: its typed calls raise on the
        # observed shape (as against Feishu's service when it answers so) rather than
        # returning a failed response; a ticket without those fields still parses.
        with pytest.raises(UnmarshalException, match="comments"):
            sdk.get("9001")
        with pytest.raises(UnmarshalException, match="comments"):
            sdk.list()
        assert sdk.get("9002").data.ticket.status == 1
    finally:
        stop_server(server)
