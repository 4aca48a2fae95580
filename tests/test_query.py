"""Parsing and validating the list API's query string."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from larkdesk.errors import BadRequest
from larkdesk.helpdesk.tickets.query import parse_ticket_query
from larkdesk.store.base import Window


def parse(query: str):  # type: ignore[no-untyped-def]
    return parse_ticket_query(parse_qsl(query, keep_blank_values=True))


def rejected(query: str) -> str:
    with pytest.raises(BadRequest) as caught:
        parse(query)
    assert caught.value.code == 154000 and caught.value.http_status == 400
    return caught.value.message


def test_defaults_are_page_1_of_20() -> None:
    query = parse("")
    assert (query.page, query.page_size, query.offset) == (1, 20, 0)
    assert query.statuses == () and query.tags == () and query.created is None


def test_every_filter_is_read() -> None:
    query = parse(
        "ticket_id=6626871355780366331&agent_id=ou_a&closed_by_id=ou_c&type=2&channel=9"
        "&solved=2&score=3&status_list=50&guest_name=Abc&guest_id=ou_g&tags=VPN"
        "&page=3&page_size=50&create_time_start=1&create_time_end=2"
        "&update_time_start=3&update_time_end=4"
    )
    assert query.ticket_id == "6626871355780366331"
    assert (query.agent_id, query.closed_by_id, query.guest_id) == ("ou_a", "ou_c", "ou_g")
    assert (query.ticket_type, query.channel, query.solve, query.score) == (2, 9, 2, 3)
    assert query.statuses == (50,) and query.tags == ("VPN",) and query.guest_name == "Abc"
    assert (query.page, query.page_size, query.offset) == (3, 50, 100)
    assert query.created == Window(1, 2) and query.updated == Window(3, 4)


@pytest.mark.parametrize(
    "query",
    [
        "status_list=1&status_list=2&status_list=50",
        "status_list[]=1&status_list[]=2&status_list[]=50",
        "status_list=1,2,50",
        "status_list=1, 2&status_list[]=50",
        "status_list=1,2,50,2",
    ],
)
def test_three_array_encodings_mean_the_same(query: str) -> None:
    assert parse(query).statuses == (1, 2, 50)


def test_tags_accept_repeated_and_bracketed_keys_and_keep_commas() -> None:
    assert parse("tags=VPN&tags[]=账号问题,Billing").tags == ("VPN", "账号问题,Billing")


def test_unknown_parameters_and_empty_values_are_ignored() -> None:
    query = parse("foo=bar&type=&guest_name=&page_token=x")
    assert query.ticket_type is None and query.guest_name is None


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=1.5", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=-1", "page_size"),
        ("type=3", "type"),
        ("type=bot", "type"),
        ("solved=0", "solved"),
        ("score=4", "score"),
        ("channel=-1", "channel"),
        ("channel=x", "channel"),
        ("status_list=6", "status_list"),
        ("status_list=1,x", "status_list"),
        ("create_time_start=9223372036854775808&create_time_end=1", "create_time_start"),
        ("channel=99999999999999999999999", "channel"),
        ("create_time_start=1", "create_time_end"),
        ("create_time_end=1", "create_time_start"),
        ("update_time_start=1", "update_time_end"),
        ("update_time_end=5", "update_time_start"),
        ("create_time_start=5&create_time_end=4", "create_time_start"),
        ("update_time_start=5&update_time_end=4", "update_time_start"),
        ("create_time_start=-5&create_time_end=4", "create_time_start"),
        ("update_time_start=a&update_time_end=4", "update_time_start"),
    ],
)
def test_bad_input_names_the_parameter(query: str, names: str) -> None:
    assert names in rejected(query)


def test_int64_overflow_says_so() -> None:
    message = rejected("page=9223372036854775808")
    assert "page" in message and "64-bit" in message


def test_the_10000_cap_tells_to_narrow_by_time() -> None:
    assert parse("page=50&page_size=200").offset == 9800
    assert parse("page=10000&page_size=1").page == 10000
    message = rejected("page=51&page_size=200")
    assert "10000" in message and "create_time_start" in message
    assert "page" in rejected("page=501")  # default page_size 20: 501 * 20 > 10000


def test_too_many_array_values_are_refused() -> None:
    assert "tags" in rejected("&".join(f"tags=t{i}" for i in range(101)))
