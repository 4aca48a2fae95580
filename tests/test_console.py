"""The console in-process (Starlette's TestClient) on both stores: sign-in and sessions,
the tickets page against the list API, CSV, escaping, agent actions, metrics and their
drill-downs, events and "retry now", languages. The browser test is test_console_browser."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time

import pytest
from starlette.testclient import TestClient

from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.console.metrics import percentile
from larkdesk.console.session import Signer
from larkdesk.store.base import EventLogEntry, EventSettings, Store, TicketQuery
from larkdesk.store.console_records import TimeSlot
from larkdesk.store.event_records import WEBHOOK
from larkdesk.transfer.export.columns import COLUMNS

from .backends import db_location
from .conftest import LIST_PATH, Identity, auth_headers, larkdesk, provision
from .console_data import IMG, PAYLOADS, SCRIPT, seed, sign_in


def desk_url(identity: Identity, tail: str = "tickets") -> str:
    return f"/console/h/{identity.helpdesk_id}/{tail}"


def ids_on(page: str) -> list[str]:
    return re.findall(r'data-ticket-id="(\d+)"', page)


def total_on(page: str) -> int:
    found = re.search(r'id="total">(\d+)<', page)
    assert found is not None
    return int(found.group(1))


def api_ids(client: TestClient, identity: Identity, params: list[tuple[str, str]]) -> list[str]:
    response = client.get(
        LIST_PATH, params=[*params, ("page_size", "200")], headers=auth_headers(client, identity)
    )
    body = response.json()
    assert body["code"] == 0, body
    return [t["ticket_id"] for t in body["data"]["tickets"]]


# -- sign-in and sessions ---------------------------------------------------------------


def test_pages_need_a_session(client: TestClient, identity: Identity) -> None:
    for path in ("/console", desk_url(identity), desk_url(identity, "metrics")):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/signin?next=")
    assert client.get(desk_url(identity, "tickets.csv"), follow_redirects=False).status_code == 303


def test_sign_in_sets_a_signed_httponly_samesite_cookie(
    client: TestClient, identity: Identity
) -> None:
    form = client.get("/console/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/console/signin",
        data={
            "signin_token": token.group(1),
            "app_id": identity.app_id,
            "app_secret": identity.app_secret,
            "helpdesk_id": identity.helpdesk_id,
            "helpdesk_token": identity.helpdesk_token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    cookie = done.headers["set-cookie"].lower()
    assert "larkdesk_console=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "path=/console" in cookie
    # the one helpdesk the session holds opens at once
    home = client.get("/console", follow_redirects=False)
    assert home.headers["location"] == desk_url(identity)
    # a tampered cookie is no session
    value = client.cookies.get("larkdesk_console") or ""
    client.cookies.clear()
    client.cookies.set("larkdesk_console", value[:-2] + "xx")
    assert client.get(desk_url(identity), follow_redirects=False).status_code == 303


@pytest.mark.parametrize("wrong", ["app_secret", "helpdesk_token", "app_id", "signin_token"])
def test_wrong_credentials_are_refused(client: TestClient, identity: Identity, wrong: str) -> None:
    form = client.get("/console/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    data = {
        "signin_token": token.group(1),
        "app_id": identity.app_id,
        "app_secret": identity.app_secret,
        "helpdesk_id": identity.helpdesk_id,
        "helpdesk_token": identity.helpdesk_token,
    }
    data[wrong] = data[wrong] + "x"
    refused = client.post("/console/signin", data=data, follow_redirects=False)
    assert refused.status_code == 401
    assert "larkdesk_console=" not in refused.headers.get("set-cookie", "")
    assert client.get(desk_url(identity), follow_redirects=False).status_code == 303


def test_a_foreign_helpdesk_is_refused(
    store: Store, client: TestClient, identity: Identity
) -> None:
    other = provision(store, "other")  # another tenant
    form = client.get("/console/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token is not None
    refused = client.post(
        "/console/signin",
        data={
            "signin_token": token.group(1),
            "app_id": identity.app_id,
            "app_secret": identity.app_secret,
            "helpdesk_id": other.helpdesk_id,
            "helpdesk_token": other.helpdesk_token,
        },
    )
    assert refused.status_code == 401
    assert "does not belong to this app" in refused.text
    sign_in(client, identity)
    for tail in ("tickets", "metrics", "events", "tickets.csv"):
        assert client.get(desk_url(other, tail)).status_code == 403
    # a second helpdesk of the same tenant needs its own token too
    same_tenant = provision(store, "sibling", tenant_key=identity.tenant_key)
    assert client.get(desk_url(same_tenant)).status_code == 403


def test_operator_token_from_the_cli_signs_in(store: Store, identity: Identity) -> None:
    done = larkdesk("console", "token", "--hours", "1", db=db_location(store))
    token = json.loads(done.stdout)["operator_token"]
    from .conftest import make_client

    with make_client(store) as client:
        for given, status in ((token + "x", 401), ("lkc_nothing", 401), (token, 303)):
            form = client.get("/console/signin")
            found = re.search(r'name="signin_token" value="([^"]+)"', form.text)
            assert found is not None
            answer = client.post(
                "/console/signin",
                data={"signin_token": found.group(1), "operator_token": given},
                follow_redirects=False,
            )
            assert answer.status_code == status
        other = provision(store, "other")
        home = client.get("/console")
        assert identity.helpdesk_id in home.text and other.helpdesk_id in home.text
        assert client.get(desk_url(other)).status_code == 200
        signer = Signer(store)  # before the app's shutdown closes the store
    assert signer.operator_ok(signer.operator_token(0.01))
    assert not signer.operator_ok(signer.operator_token(-1))


def test_posts_need_the_csrf_token_and_sign_out_ends_the_session(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seeded = seed(store, identity)
    csrf = sign_in(client, identity)
    ticket = desk_url(identity, f"tickets/{seeded.evil_id}")
    for data in ({"status": "51"}, {"status": "51", "csrf": csrf + "x"}):
        assert client.post(ticket + "/update", data=data).status_code == 403
    assert 'data-status="2"' in client.get(ticket).text
    assert client.post("/console/signout", data={}).status_code == 403
    out = client.post("/console/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(ticket, follow_redirects=False).status_code == 303


# -- tickets ------------------------------------------------------------------------------

FILTERS = [
    [("status_list", "50"), ("status_list", "51")],
    [("type", "1")],
    [("channel", "2")],
    [("solved", "2")],
    [("score", "1")],
    [("agent_id", "ou_agent_ann")],
    [("guest_name", "guest 3")],
    [("guest_id", "ou_guest_4")],
    [("tags", "billing")],
    [("ticket_id", "7200000000000000005")],
]


def test_every_filter_matches_the_list_api(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seed(store, identity)
    sign_in(client, identity)
    for params in FILTERS:
        page = client.get(desk_url(identity), params=params)
        assert page.status_code == 200
        expected = api_ids(client, identity, params)
        assert expected, params
        assert ids_on(page.text) == expected, params
        assert total_on(page.text) == len(expected)


def test_date_windows_and_a_bad_filter(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seeded = seed(store, identity)
    sign_in(client, identity)
    day = dt.datetime.fromtimestamp(seeded.now / 1000, tz=dt.UTC).date() - dt.timedelta(days=1)
    page = client.get(
        desk_url(identity), params={"created_from": day.isoformat(), "created_to": day.isoformat()}
    )
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)
    expected = api_ids(
        client,
        identity,
        [("create_time_start", str(start)), ("create_time_end", str(start + 86_400_000 - 1))],
    )
    assert ids_on(page.text) == expected and len(expected) in (4, 5)
    for bad, name in (
        ({"status_list": "9"}, "status_list"),
        ({"created_from": "x"}, "created_from"),
        ({"sort": "guest"}, "sort"),
    ):
        answer = client.get(desk_url(identity), params=bad)
        assert answer.status_code == 400 and name in answer.text


def test_columns_sort_both_ways(store: Store, client: TestClient, identity: Identity) -> None:
    seed(store, identity)
    sign_in(client, identity)
    scores = []
    for direction in ("asc", "desc"):
        page = client.get(desk_url(identity), params={"sort": "score", "dir": direction})
        scores.append(
            [int(s or -2) for s in re.findall(r"<td>(\d*)</td>\s*<td>(?:Ann|Bob|</td>)", page.text)]
        )
    listed = [
        int(cell or -2)
        for cell in re.findall(
            r'data-status="\d+">[^<]*</td>\s*<td>[^<]*</td>\s*<td>\d*</td>\s*<td>(\d*)</td>',
            client.get(desk_url(identity), params={"sort": "score", "dir": "asc"}).text,
        )
    ]
    assert listed == sorted(listed) and len(set(listed)) > 1
    down = [
        int(cell or -2)
        for cell in re.findall(
            r'data-status="\d+">[^<]*</td>\s*<td>[^<]*</td>\s*<td>\d*</td>\s*<td>(\d*)</td>',
            client.get(desk_url(identity), params={"sort": "score", "dir": "desc"}).text,
        )
    ]
    assert down == sorted(down, reverse=True)


def test_keyset_pages_go_past_ten_thousand(store: Store, identity: Identity) -> None:
    from larkdesk.helpdesk.models import Ticket, to_record

    count = 10_120
    store.load_tickets(
        to_record(
            Ticket(
                ticket_id=str(9_000_000 + n),
                created_at=1_700_000_000_000 + n // 3,
                status=1 + n % 2,
            ),
            identity.helpdesk_id,
        )
        for n in range(count)
    )
    seen: list[str] = []
    after = None
    while True:
        rows = store.sorted_tickets(
            identity.helpdesk_id, TicketQuery(), TimeSlot(), "created_at", True, after, 2000
        )
        seen.extend(r.ticket_id for r in rows)
        if len(rows) < 2000:
            break
        after = (rows[-1].key, rows[-1].ticket_id)
    assert len(seen) == count == len(set(seen))
    assert seen == [str(9_000_000 + n) for n in reversed(range(count))]
    assert (
        store.count_matching(identity.helpdesk_id, TicketQuery(statuses=(2,)), TimeSlot())
        == count // 2
    )
    from .conftest import make_client

    with make_client(store) as client:
        sign_in(client, identity)
        key = 1_700_000_000_000 + 10_050 // 3
        page = client.get(desk_url(identity), params={"after": f"{key}:{9_000_000 + 10_050}"})
        assert ids_on(page.text)[:3] == [str(9_000_000 + n) for n in (10_049, 10_048, 10_047)]
        assert 'id="next-page"' in page.text
        assert total_on(client.get(desk_url(identity)).text) == count  # the kept count
        assert total_on(client.get(desk_url(identity), params={"status_list": "2"}).text) == (
            count // 2
        )
        after_30 = f"{1_700_000_000_000 + 30 // 3}:{9_000_000 + 30}"
        last = client.get(desk_url(identity), params={"after": after_30})
        assert ids_on(last.text) == [str(9_000_000 + n) for n in range(29, -1, -1)]
        assert 'id="next-page"' not in last.text


def test_csv_is_exactly_the_filtered_tickets_with_the_exports_columns(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seed(store, identity)
    sign_in(client, identity)
    params = [("status_list", "50"), ("status_list", "51"), ("tags", "login")]
    answer = client.get(desk_url(identity, "tickets.csv"), params=params)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == [c.name for c in COLUMNS]
    assert [r[0] for r in rows[1:]] == api_ids(client, identity, params)
    headers = auth_headers(client, identity)
    api = client.get(LIST_PATH, params=[*params, ("page_size", "200")], headers=headers).json()
    by_id = {t["ticket_id"]: t for t in api["data"]["tickets"]}
    status = rows[0].index("status")
    guest_name = rows[0].index("guest_name")
    for row in rows[1:]:
        assert int(row[status]) == by_id[row[0]]["status"]
        assert row[guest_name] == by_id[row[0]]["guest"]["name"]


# -- escaping ----------------------------------------------------------------------------


def test_every_text_from_a_guest_or_an_import_is_escaped(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seeded = seed(store, identity)
    sign_in(client, identity)
    day = dt.datetime.fromtimestamp(seeded.now / 1000, tz=dt.UTC).date()
    pages = {
        "list": client.get(desk_url(identity)).text,
        "ticket": client.get(desk_url(identity, f"tickets/{seeded.evil_id}")).text,
        "metrics": client.get(
            desk_url(identity, "metrics"),
            params={"start": (day - dt.timedelta(days=20)).isoformat(), "end": day.isoformat()},
        ).text,
        "filtered": client.get(desk_url(identity), params={"tags": SCRIPT, "guest_name": IMG}).text,
    }
    for name, html in pages.items():
        assert "<script>window" not in html, name
        assert "<img src=x" not in html, name
        assert 'onerror="window' not in html, name
    ticket = pages["ticket"]
    escaped_script = "&lt;script&gt;window.__xss = 1&lt;/script&gt;"
    escaped_img = "&#34;&gt;&lt;img src=x onerror=&#34;window.__xss = 1&#34;&gt;"
    # guest name, both messages, the comment, both tags, the custom field names and values
    assert ticket.count(escaped_script) >= 6, ticket
    assert ticket.count(escaped_img) >= 5
    assert escaped_script in pages["list"] and escaped_img in pages["list"]
    assert all(p not in client.get(desk_url(identity, "events")).text for p in PAYLOADS)
    csp = client.get(desk_url(identity)).headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


# -- agent actions -----------------------------------------------------------------------


def test_agent_reply_status_tags_and_comment_go_through_the_services(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seeded = seed(store, identity)
    csrf = sign_in(client, identity)
    ticket = desk_url(identity, f"tickets/{seeded.evil_id}")
    reply = client.post(
        ticket + "/reply", data={"csrf": csrf, "text": "On it <b>now</b>"}, follow_redirects=False
    )
    assert reply.status_code == 303
    headers = auth_headers(client, identity)
    messages = client.get(f"{LIST_PATH}/{seeded.evil_id}/messages", headers=headers).json()
    last = messages["data"]["messages"][-1]
    assert last["content"] == "On it <b>now</b>" and last["user_id"] == "ou_agent_ann"
    api_ticket = client.get(f"{LIST_PATH}/{seeded.evil_id}", headers=headers).json()["data"][
        "ticket"
    ]
    assert api_ticket["agent_first_response_time"] > 0
    page = client.get(ticket).text
    assert 'data-sender="agent"' in page and "On it &lt;b&gt;now&lt;/b&gt;" in page
    assert (
        client.post(ticket + "/update", data={"csrf": csrf, "tags": "vip, refund"}).status_code
        == 200
    )
    assert (
        client.post(ticket + "/update", data={"csrf": csrf, "comment": "called back"}).status_code
        == 200
    )
    done = client.post(ticket + "/update", data={"csrf": csrf, "status": "51"})
    assert 'id="ticket-status" data-status="51"' in done.text
    assert "called back" in done.text
    after = client.get(f"{LIST_PATH}/{seeded.evil_id}", headers=headers).json()["data"]["ticket"]
    assert after["status"] == 51 and [t["name"] for t in after["tags"]] == ["vip", "refund"]
    # the rules are the API's: a closed ticket takes no message, a bad status is refused
    closed = client.post(ticket + "/reply", data={"csrf": csrf, "text": "late"})
    assert closed.status_code == 400 and "is closed" in closed.text
    bad = client.post(ticket + "/update", data={"csrf": csrf, "status": "7"})
    assert bad.status_code == 400 and "status must be one of" in bad.text
    assert client.get(desk_url(identity, "tickets/7299999999999999999")).status_code == 404


# -- metrics -----------------------------------------------------------------------------


def kpi(html: str, name: str) -> tuple[str, str]:
    found = re.search(
        rf'id="kpi-{name}" href="([^"]+)"><span>[^<]*</span><strong>([^<]*)</strong>', html
    )
    assert found is not None, name
    return found.group(1).replace("&amp;", "&"), found.group(2)


def test_metrics_numbers_and_their_drill_downs(
    store: Store, client: TestClient, identity: Identity
) -> None:
    seeded = seed(store, identity)
    sign_in(client, identity)
    default = client.get(desk_url(identity, "metrics")).text
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert f'name="end" value="{yesterday.isoformat()}"' in default
    assert f'name="start" value="{(yesterday - dt.timedelta(days=29)).isoformat()}"' in default
    headers = auth_headers(client, identity)
    api = client.get(LIST_PATH, params={"page_size": "200"}, headers=headers).json()
    tickets = [
        t
        for t in api["data"]["tickets"]
        if dt.datetime.fromtimestamp(t["created_at"] / 1000, tz=dt.UTC).date() <= yesterday
    ]
    created, link = kpi(default, "created")[1], kpi(default, "created")[0]
    assert int(created) == len(tickets)
    assert total_on(client.get(link).text) == len(tickets)
    ended = [t for t in tickets if t["status"] in (50, 51, 52)]
    link, rate = kpi(default, "resolution")
    assert rate == f"{len(ended) / len(tickets) * 100:.1f}%"
    assert total_on(client.get(link).text) == len(ended)
    bot = [t for t in ended if t["ticket_type"] == 1]
    link, rate = kpi(default, "bot")
    assert rate == f"{len(bot) / len(tickets) * 100:.1f}%"
    assert total_on(client.get(link).text) == len(bot)
    frts = [
        t["agent_first_response_time"] - t["agent_entry_time"]
        for t in tickets
        if t.get("agent_first_response_time", 0) > 0 and t.get("agent_entry_time", 0) > 0
    ]
    median = percentile(frts, 0.5)
    assert median is not None
    assert kpi(default, "frt")[1] == f"{median // 1000 // 60}m {median // 1000 % 60}s"
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', default, re.S).group(1))
    for kind in ("tags", "channels", "scores", "cities"):
        for count, url in zip(charts[kind]["counts"], charts[kind]["links"], strict=True):
            assert total_on(client.get(url).text) == count, (kind, url)
    for key, url in list(charts["heat"]["links"].items())[:5]:
        weekday, hour = map(int, key.split(","))
        cell = next(d[2] for d in charts["heat"]["data"] if d[0] == hour and d[1] == weekday)
        assert total_on(client.get(url).text) == cell
    for count, url in zip(charts["trend"]["created"], charts["trend"]["links"], strict=True):
        if count:
            assert total_on(client.get(url).text) == count
    agents = re.findall(r'class="agent-link" href="([^"]+)">(\d+)<', default)
    assert agents
    for url, count in agents:
        assert total_on(client.get(url.replace("&amp;", "&")).text) == int(count)
    assert "slow answer" in default
    assert charts["cities"]["links"]  # the by-city chart drills down too
    for url, text in re.findall(r'class="reason-link" href="([^"]+)">([^<]+)<', default):
        assert total_on(client.get(url.replace("&amp;", "&")).text) == int(text.rsplit(": ", 1)[1])
    for kpi_id in ("weekday", "hour"):
        link = re.search(rf'id="kpi-{kpi_id}" href="([^"]+)"', default)
        assert link is not None and f"{kpi_id}=" in link.group(1)
        assert total_on(client.get(link.group(1).replace("&amp;", "&")).text) > 0
    assert seeded.evil_id  # the evil ticket is in the period too
    bad = client.get(
        desk_url(identity, "metrics"), params={"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert bad.status_code == 400 and "must not be after" in bad.text


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5], 0.9) == 5
    assert percentile([1, 2, 3, 4, 100], 0.5) == 3
    assert percentile(list(range(1, 11)), 0.9) == 9


# -- events ------------------------------------------------------------------------------


def test_events_log_and_retry_now(store: Store, client: TestClient, identity: Identity) -> None:
    seeded = seed(store, identity)
    store.save_event_settings(
        EventSettings(
            identity.app_id,
            "http://127.0.0.1:9/",
            "vt",
            "",
            WEBHOOK,
            1,
            ("helpdesk.ticket.updated_v1",),
        )
    )
    store.subscribe_events(identity.app_id, identity.helpdesk_id, ["helpdesk.ticket.updated_v1"])
    csrf = sign_in(client, identity)
    ticket = desk_url(identity, f"tickets/{seeded.evil_id}")
    client.post(ticket + "/update", data={"csrf": csrf, "status": "51"})
    first = attempts_reach(store, identity, 1)
    assert first.state == "pending" and first.attempts[0].status != 200  # nobody listens
    page = client.get(desk_url(identity, "events")).text
    assert "helpdesk.ticket.updated_v1" in page and ">pending<" in page and "#1 " in page
    assert "helpdesk.ticket.updated_v1" in client.get(ticket).text  # the ticket's own events
    seed_other_ticket_event(client, csrf, identity)
    assert len(store.helpdesk_event_log(identity.helpdesk_id, None, 10)) == 2
    assert len(store.helpdesk_event_log(identity.helpdesk_id, seeded.evil_id, 10)) == 1
    url = desk_url(identity, f"events/{first.outbox_id}/retry")
    assert client.post(url, data={}).status_code == 403
    retried = client.post(url, data={"csrf": csrf})
    assert retried.status_code == 200 and 'id="note"' in retried.text
    # the next attempt comes now, not after the 15 s of the retry schedule
    assert len(attempts_reach(store, identity, 2, first.outbox_id).attempts) == 2
    other = provision(store, "other")
    foreign = desk_url(other, f"events/{first.outbox_id}/retry")
    assert client.post(foreign, data={"csrf": csrf}).status_code == 403
    assert not store.retry_delivery(other.helpdesk_id, first.outbox_id, seeded.now)


def attempts_reach(
    store: Store, identity: Identity, count: int, outbox_id: int | None = None
) -> EventLogEntry:
    """The helpdesk's newest (or the given) delivery once it has `count` attempts."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in store.helpdesk_event_log(identity.helpdesk_id, None, 10):
            if outbox_id in (None, entry.outbox_id) and len(entry.attempts) >= count:
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no delivery reached {count} attempts")


def seed_other_ticket_event(client: TestClient, csrf: str, identity: Identity) -> None:
    """Change another ticket: its event must not show on the first ticket's page."""
    other = "7200000000000000001"
    client.post(desk_url(identity, f"tickets/{other}/update"), data={"csrf": csrf, "status": "4"})


# -- languages ---------------------------------------------------------------------------


def test_language_follows_the_browser_and_the_switch(
    client: TestClient, identity: Identity
) -> None:
    assert "Sign in" in client.get("/console/signin").text
    assert (
        "登录" in client.get("/console/signin", headers={"accept-language": "zh-CN,zh;q=0.9"}).text
    )
    switched = client.get(
        "/console/lang", params={"to": "zh", "next": "/console/signin"}, follow_redirects=True
    )
    assert "登录" in switched.text
    away = client.get(
        "/console/lang",
        params={"to": "en", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/console"


def test_helpdesk_header_and_api_unchanged(client: TestClient, identity: Identity) -> None:
    """The console's routes leave the API's 404 page as it was."""
    assert client.get("/console/nothing").status_code == 404
    assert encode_helpdesk_header(identity.helpdesk_id, identity.helpdesk_token)


def test_custom_fields_are_set_by_the_apis_rules(
    store: Store, client: TestClient, identity: Identity
) -> None:
    from larkdesk.helpdesk.fields.service import define_field

    seeded = seed(store, identity)
    plan = define_field(store, identity.helpdesk_id, "plan", "Plan", "dropdown", ("free", "pro"))
    note = define_field(store, identity.helpdesk_id, "note", f"Note {SCRIPT}")
    fixed = define_field(store, identity.helpdesk_id, "fixed", "Fixed", editable=False)
    csrf = sign_in(client, identity)
    ticket = desk_url(identity, f"tickets/{seeded.evil_id}")
    page = client.get(ticket).text
    assert f'name="field.{plan.ticket_customized_field_id}"' in page
    assert 'name="field.' + note.ticket_customized_field_id + '"' in page
    assert f'name="field.{fixed.ticket_customized_field_id}"' not in page  # read-only
    assert "Note &lt;script&gt;" in page
    plan_key = f"field.{plan.ticket_customized_field_id}"
    note_key = f"field.{note.ticket_customized_field_id}"
    bad = client.post(ticket + "/update", data={"csrf": csrf, plan_key: "gold", note_key: ""})
    assert bad.status_code == 400 and "is not an option of dropdown" in bad.text
    done = client.post(
        ticket + "/update",
        data={"csrf": csrf, plan_key: "pro", note_key: IMG},
        follow_redirects=False,
    )
    assert done.status_code == 303
    headers = auth_headers(client, identity)
    shown = client.get(f"{LIST_PATH}/{seeded.evil_id}", headers=headers).json()["data"]["ticket"]
    values = {f["id"]: f["value"] for f in shown["customized_fields"]}
    assert values[plan.ticket_customized_field_id] == "pro"
    assert values[note.ticket_customized_field_id] == IMG
    assert '<option value="pro" selected>' in client.get(ticket).text


def test_images_of_the_conversation_show_on_the_ticket_page(
    store: Store, client: TestClient, identity: Identity
) -> None:
    from larkdesk.helpdesk.messages.service import TicketMessages
    from larkdesk.helpdesk.messages.speak import Speaker, Utterance

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + b"pixels"
    seeded = seed(store, identity)
    sent = Speaker(TicketMessages(store)).say(
        seeded.evil_id, Utterance("guest", "image", image=png), identity.helpdesk_id
    )
    sign_in(client, identity)
    page = client.get(desk_url(identity, f"tickets/{seeded.evil_id}")).text
    src = f"/console/h/{identity.helpdesk_id}/tickets/{seeded.evil_id}/images/{sent.message_id}/0"
    assert f'src="{src}"' in page
    image = client.get(src)
    assert image.status_code == 200 and image.content == png
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert client.get(src[:-1] + "1").status_code == 404
    other = provision(store, "other")
    assert client.get(src.replace(identity.helpdesk_id, other.helpdesk_id)).status_code == 403


def test_sign_ins_are_counted_in_the_metrics(client: TestClient, identity: Identity) -> None:
    from .test_ops import scrape, value

    before = value(scrape(client), "larkdesk_console_logins_total", kind="app")
    sign_in(client, identity)
    assert value(scrape(client), "larkdesk_console_logins_total", kind="app") == before + 1
