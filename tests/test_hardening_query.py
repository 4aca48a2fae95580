"""Array encodings of the list API's query: a comma splits only integer arrays, indexed
keys are read in index order (never silently dropped), a bad index is a 400."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from starlette.testclient import TestClient

from larkdesk.errors import BadRequest
from larkdesk.helpdesk.models import Ticket, TicketTag, to_record
from larkdesk.helpdesk.tickets.query import parse_ticket_query
from larkdesk.store.base import TicketQuery

from .backends import open_backend
from .conftest import LIST_PATH, auth_headers, make_client, provision

T0 = 1_767_225_600_000


def parse(query: str) -> TicketQuery:
    return parse_ticket_query(parse_qsl(query, keep_blank_values=True))


def test_a_comma_splits_status_list_but_is_part_of_a_tag_name() -> None:
    assert parse("status_list=1,2").statuses == (1, 2)
    assert parse("tags=VIP,紧急").tags == ("VIP,紧急",)
    assert parse("tags=VIP,紧急&tags=VPN&tags[]=a,b").tags == ("VIP,紧急", "VPN", "a,b")


@pytest.mark.parametrize(
    ("query", "statuses", "tags"),
    [
        ("status_list[0]=1", (1,), ()),
        ("status_list[1]=50&status_list[0]=2", (2, 50), ()),
        ("status_list[0]=1,2&status_list=51", (51, 1, 2), ()),
        ("tags[1]=b&tags[0]=a,x&tags[10]=c", (), ("a,x", "b", "c")),
        ("tags[0]=a&tags[0]=b", (), ("a", "b")),
        ("tags[]=z&tags[2]=y", (), ("z", "y")),
    ],
)
def test_indexed_keys_are_read_in_index_order(
    query: str, statuses: tuple[int, ...], tags: tuple[str, ...]
) -> None:
    parsed = parse(query)
    assert (parsed.statuses, parsed.tags) == (statuses, tags)


@pytest.mark.parametrize(
    "query", ["status_list[x]=1", "tags[-1]=a", "tags[1.5]=a", "tags[１]=a", "tags[9999999999]=a"]
)
def test_an_index_that_is_not_a_whole_number_is_a_400_naming_the_parameter(query: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse(query)
    name = query.split("[", 1)[0]
    assert caught.value.http_status == 400 and caught.value.code == 154000
    assert name in caught.value.message and "index" in caught.value.message


def test_an_indexed_status_list_is_a_bad_value_when_out_of_range() -> None:
    with pytest.raises(BadRequest, match="status_list"):
        parse("status_list[0]=6")


def test_only_array_values_are_trimmed() -> None:
    query = parse("guest_name=%20M&tags=%20a%20&status_list=%201")
    assert (query.guest_name, query.tags, query.statuses) == (" M", ("a",), (1,))


def test_indexed_keys_of_other_parameters_stay_unknown_and_ignored() -> None:
    assert parse("page[0]=x&foo[1]=y").page == 1


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Three tickets: one tagged `VIP,紧急`, one `VIP`, one `紧急`; statuses 1, 2, 50."""
    with open_backend("sqlite", tmp_path) as store:
        identity = provision(store)  # type: ignore[arg-type]
        tickets = [
            Ticket(
                ticket_id="7000000000000000001",
                created_at=T0,
                status=1,
                tags=[TicketTag(id="1", name="VIP,紧急")],
            ),
            Ticket(
                ticket_id="7000000000000000002",
                created_at=T0 + 1,
                status=2,
                tags=[TicketTag(id="2", name="VIP")],
            ),
            Ticket(
                ticket_id="7000000000000000003",
                created_at=T0 + 2,
                status=50,
                tags=[TicketTag(id="3", name="紧急")],
            ),
        ]
        store.upsert_tickets([to_record(t, identity.helpdesk_id) for t in tickets])
        with make_client(store) as client:  # type: ignore[arg-type]
            yield client, auth_headers(client, identity)


def listed_ids(
    served: tuple[TestClient, dict[str, str]], query: list[tuple[str, str]]
) -> list[str]:
    client, headers = served
    response = client.get(f"{LIST_PATH}?{urlencode(query)}", headers=headers)
    assert response.json()["code"] == 0, response.text
    return sorted(t["ticket_id"][-1] for t in response.json()["data"]["tickets"])


def test_over_the_wire_a_tag_with_a_comma_is_found_and_indexed_filters_hold(
    served: tuple[TestClient, dict[str, str]],
) -> None:
    assert listed_ids(served, [("tags", "VIP,紧急")]) == ["1"]
    assert listed_ids(served, [("tags[0]", "VIP"), ("tags[1]", "紧急")]) == ["2", "3"]
    assert listed_ids(served, [("status_list[0]", "1")]) == ["1"]
    assert listed_ids(served, [("status_list", "2,50")]) == ["2", "3"]
    client, headers = served
    bad = client.get(f"{LIST_PATH}?status_list[x]=1", headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (400, 154000)
    assert "status_list" in bad.json()["msg"]
