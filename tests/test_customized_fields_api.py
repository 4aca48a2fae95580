"""`GET /open-apis/helpdesk/v1/customized_fields` over the wire on each store: the
helpdesk's ticket custom fields (and no user fields), through httpx and lark-oapi."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import lark_oapi as lark
import pytest
from lark_oapi.api.helpdesk.v1 import CustomizedFieldsTicketRequest

from larkdesk.auth.credentials import encode_helpdesk_header

from .backends import BACKEND_NAMES
from .served import served_demo
from .test_fields_api import (  # noqa: F401  (module fixtures, on this module's server)
    FIELDS_PATH,
    api,
    client_for,
    created,
    creds_of,
    listed,
    other_desk,
)
from .test_lifecycle import assert_bad_request
from .wire import Wire


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Wire, dict[str, str]]]:
    """A small demo on each backend, served (seeds of its own, see `served_demo`)."""
    where = tmp_path_factory.mktemp("customized_fields")
    with served_demo(request.param, where, 10, (31, 32)) as served:
        yield served


PATH = "/open-apis/helpdesk/v1/customized_fields"


def test_every_ticket_field_and_no_user_field(api: httpx.Client) -> None:  # noqa: F811
    hidden = created(api, key_name="internal_note", display_name="Note", field_type="text")
    api.patch(f"{FIELDS_PATH}/{hidden['ticket_customized_field_id']}", json={"visible": False})
    body = api.get(PATH).json()
    assert body["code"] == 0, body
    assert body["data"]["user_customized_fields"] == []
    fields = body["data"]["ticket_customized_fields"]
    assert fields == listed(api)
    visible = api.get(PATH, params={"visible_only": "true"}).json()["data"]
    ids = [f["ticket_customized_field_id"] for f in visible["ticket_customized_fields"]]
    assert hidden["ticket_customized_field_id"] not in ids
    assert len(ids) == len(fields) - 1
    assert_bad_request(api.get(PATH, params={"visible_only": "maybe"}), "visible_only")


def test_another_helpdesk_has_its_own_fields(
    server: tuple[Wire, dict[str, str]],
    creds_of: dict[str, str],  # noqa: F811
    other_desk: dict[str, str],  # noqa: F811
) -> None:
    with client_for(server[0], creds_of, other_desk) as other:
        data = other.get(PATH).json()["data"]
    assert data == {"user_customized_fields": [], "ticket_customized_fields": []}


def test_through_lark_oapi(
    server: tuple[Wire, dict[str, str]],
    creds_of: dict[str, str],  # noqa: F811
    api: httpx.Client,  # noqa: F811
) -> None:
    client = (
        lark.Client.builder()
        .app_id(creds_of["app_id"])
        .app_secret(creds_of["app_secret"])
        .domain(server[0].base_url)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    header = encode_helpdesk_header(creds_of["helpdesk_id"], creds_of["helpdesk_token"])
    option = lark.RequestOption.builder().headers({"X-Lark-Helpdesk-Authorization": header})
    request = CustomizedFieldsTicketRequest.builder().visible_only(False).build()
    answer = client.helpdesk.v1.ticket.customized_fields(request, option.build())
    assert answer.success(), answer.msg
    keys = [f.key_name for f in answer.data.ticket_customized_fields]
    assert keys == [f["key_name"] for f in listed(api)]
    assert answer.data.user_customized_fields == []
