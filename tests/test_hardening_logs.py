"""Client-chosen text cannot forge log lines: control characters and backslashes in what
is logged are escaped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from larkdesk.server.logsafe import escape

from .backends import open_backend
from .conftest import make_client

FORGED = "log_id=FORGED method=GET path=/open-apis/helpdesk/v1/tickets status=200 ms=1.0"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with open_backend("sqlite", tmp_path) as store, make_client(store) as client:  # type: ignore[arg-type]
        yield client


def test_a_newline_in_the_path_cannot_write_a_second_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="larkdesk.access"):
        client.get("/open-apis/helpdesk/v1/tickets%0D%0A" + FORGED.replace(" ", "%20"))
        client.get("/x%5Cx0a%E2%80%A8%00%1B[31m")
    lines = [r.getMessage() for r in caplog.records if r.name == "larkdesk.access"]
    assert len(lines) == 2
    for line in lines:
        assert not any(ch in line for ch in "\r\n\x00\x1b\u2028"), line
    assert "tickets\\x0d\\x0alog_id=FORGED" in lines[0]
    assert "path=/x\\\\x0a\\u2028\\x00\\x1b[31m " in lines[1]  # a sent backslash stays told apart


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain /path ünïcode 紧急", "plain /path ünïcode 紧急"),
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("back\\slash", "back\\\\slash"),
        ("\x7f\x85\u2029", "\\x7f\\x85\\u2029"),
    ],
)
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown
