"""End to end: the real `larkdesk` command line and a real `larkdesk serve` on loopback,
driven with httpx and with the official SDK lark-oapi, unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from larkdesk.auth.credentials import encode_helpdesk_header

from .backends import BACKEND_NAMES, postgres_schema, redis_url
from .conftest import LIST_PATH, TOKEN_PATH, LiveServer, larkdesk, start_server, stop_server


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A demo database on each backend: a SQLite file, a PostgreSQL schema (a URL)."""
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("e2e") / "larkdesk.db"
        out = larkdesk("demo", "--tickets", "1500", "--seed", "3", db=db)
        yield db, json.loads(out.stdout)
        return
    with postgres_schema() as url:  # another seed, another app_id: lark-oapi caches tokens
        out = larkdesk("demo", "--tickets", "1500", "--seed", "4", db=url)
        yield url, json.loads(out.stdout)  # type: ignore[misc]


@pytest.fixture(scope="module")
def server(
    demo_db: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`larkdesk serve` on the demo; on PostgreSQL with Redis, as a scaled-out worker."""
    db = demo_db[0]
    extra = ("--redis", redis_url()) if str(db).startswith("postgresql://") else ()
    live = start_server(db, *extra, log_dir=tmp_path_factory.mktemp("e2e-logs"))
    yield live
    stop_server(live)


def headers_for(base_url: str, creds: dict[str, str]) -> dict[str, str]:
    token = httpx.post(
        base_url + TOKEN_PATH, json={"app_id": creds["app_id"], "app_secret": creds["app_secret"]}
    ).json()["tenant_access_token"]
    return {
        "Authorization": f"Bearer {token}",
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            creds["helpdesk_id"], creds["helpdesk_token"]
        ),
    }


def test_demo_prints_one_json_object_and_is_reproducible(tmp_path: Path) -> None:
    first = larkdesk("demo", "--tickets", "50", "--seed", "9", db=tmp_path / "a.db")
    again = larkdesk("demo", "--tickets", "50", "--seed", "9", db=tmp_path / "b.db")
    creds = json.loads(first.stdout)
    assert set(creds) == {"tenant_key", "app_id", "app_secret", "helpdesk_id", "helpdesk_token"}
    assert first.stdout == again.stdout and first.stdout.count("\n") == 1
    assert "50 tickets" in first.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in (["serve"], ["demo"], ["app", "create"], ["helpdesk", "create"], ["import"]):
        result = larkdesk(*command, "--help", db=tmp_path / "h.db")
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_list_over_http(server: LiveServer, demo_db: tuple[Path, dict[str, str]]) -> None:
    headers = headers_for(server.base_url, demo_db[1])
    response = httpx.get(
        f"{server.base_url}{LIST_PATH}?status_list=50&status_list=51&page_size=50", headers=headers
    )
    body = response.json()
    assert response.status_code == 200 and body["code"] == 0 and body["msg"] == "success"
    assert response.headers["x-tt-logid"]
    assert 0 < body["data"]["total"] < 1500 and len(body["data"]["tickets"]) == 50
    assert {t["status"] for t in body["data"]["tickets"]} <= {50, 51}
    created = [t["created_at"] for t in body["data"]["tickets"]]
    assert created == sorted(created, reverse=True)
    bad = httpx.get(f"{server.base_url}{LIST_PATH}?page_size=201", headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == 154000 and bad.headers["x-tt-logid"]
    missing = httpx.get(f"{server.base_url}/open-apis/helpdesk/v1/nope", headers=headers)
    assert (missing.status_code, missing.text) == (404, "404 page not found")


def test_admin_commands_work_while_serving(
    server: LiveServer, tmp_path: Path, demo_db: tuple[Path, dict[str, str]]
) -> None:
    db = server.db
    app = json.loads(larkdesk("app", "create", "--name", "bi-sync", db=db).stdout)
    assert app["app_id"].startswith("cli_") and len(app["app_secret"]) == 32
    desk = json.loads(
        larkdesk("helpdesk", "create", "--app", app["app_id"], "--name", "IT", db=db).stdout
    )
    assert len(desk["helpdesk_id"]) == 19
    good = tmp_path / "good.ndjson"
    good.write_text(
        '{"ticket_id": "1", "created_at": 1700000000000, "status": 1,'
        ' "guest": {"id": "ou_x", "name": "Imported Guest"}}\n\n'
        '{"ticket_id": "2", "created_at": 1700000001000, "status": 50,'
        ' "closed_at": 1700000009000, "agent_entry_time": 1700000003000,'
        ' "bot_service_duration": 777}\n'
    )
    for _ in range(2):  # importing twice is harmless
        larkdesk("import", "--helpdesk", desk["helpdesk_id"], str(good), db=db)
    creds = {**app, **desk}
    headers = headers_for(server.base_url, creds)
    body = httpx.get(server.base_url + LIST_PATH, headers=headers).json()
    assert body["data"]["total"] == 2
    assert body["data"]["tickets"][0]["bot_service_duration"] == 777  # kept as written
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        '{"ticket_id": "3", "created_at": 1700000000000}\n'
        '{"ticket_id": "4", "created_at": "1700000000000", "status": 7}\n'
    )
    failed = larkdesk("import", "--helpdesk", desk["helpdesk_id"], str(bad), db=db, check=False)
    assert failed.returncode != 0 and "bad.ndjson:2" in failed.stderr
    assert "created_at must be an integer" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert httpx.get(server.base_url + LIST_PATH, headers=headers).json()["data"]["total"] == 2
    # the new app's tenant cannot read the demo helpdesk
    foreign = {
        **headers,
        "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
            demo_db[1]["helpdesk_id"], demo_db[1]["helpdesk_token"]
        ),
    }
    denied = httpx.get(server.base_url + LIST_PATH, headers=foreign)
    assert (denied.status_code, denied.json()["code"]) == (401, 154001)


def test_unknown_tenant_is_a_clean_cli_error(tmp_path: Path) -> None:
    result = larkdesk(
        "app", "create", "--name", "x", "--tenant", "nope", db=tmp_path / "t.db", check=False
    )
    assert result.returncode != 0 and "nope" in result.stderr and "Traceback" not in result.stderr


def test_lark_oapi_sdk_unchanged(server: LiveServer, demo_db: tuple[Path, dict[str, str]]) -> None:
    import lark_oapi as lark
    from lark_oapi.api.helpdesk.v1 import ListTicketRequest

    creds = demo_db[1]
    client = (
        lark.Client.builder()
        .app_id(creds["app_id"])
        .app_secret(creds["app_secret"])
        .domain(server.base_url)
        .log_level(lark.LogLevel.ERROR)
        .build()
    )
    option = (
        lark.RequestOption.builder()
        .headers(
            {
                "X-Lark-Helpdesk-Authorization": encode_helpdesk_header(
                    creds["helpdesk_id"], creds["helpdesk_token"]
                )
            }
        )
        .build()
    )
    everything = client.helpdesk.v1.ticket.list(
        ListTicketRequest.builder().page_size(200).build(), option
    )
    assert everything.success(), everything.msg
    assert everything.data.total == 1500 and len(everything.data.tickets) == 200
    newest = everything.data.tickets[0]
    window = (newest.created_at - 30 * 86_400_000, newest.created_at)
    request = (
        ListTicketRequest.builder()
        .status_list([50, 51])
        .page(1)
        .page_size(100)
        .create_time_start(window[0])
        .create_time_end(window[1])
        .build()
    )
    response = client.helpdesk.v1.ticket.list(request, option)
    assert response.success(), response.msg
    tickets = response.data.tickets
    assert response.data.total >= len(tickets) > 0
    assert all(t.status in (50, 51) and window[0] <= t.created_at <= window[1] for t in tickets)
    with_comment = next(t for t in everything.data.tickets if t.comments is not None)
    assert with_comment.comments.user_id > 2**53  # exact, parsed by TicketV2
    assert any(t.tags for t in everything.data.tickets)
    assert all(t.tags[0].name for t in everything.data.tickets if t.tags)
    bad = client.helpdesk.v1.ticket.list(ListTicketRequest.builder().page_size(500).build(), option)
    assert bad.code == 154000 and "page_size" in bad.msg
    wrong = (
        lark.RequestOption.builder()
        .headers(
            {"X-Lark-Helpdesk-Authorization": encode_helpdesk_header(creds["helpdesk_id"], "ht-x")}
        )
        .build()
    )
    denied = client.helpdesk.v1.ticket.list(ListTicketRequest.builder().build(), wrong)
    assert denied.code == 154001
