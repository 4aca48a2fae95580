"""iter_all_tickets against a larkdesk holding more than 10,000 tickets, in-process through
the client's `transport=` (`--live`: over the network to `larkdesk serve`)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from larkdesk.client import (
    Estimate,
    FeishuClient,
    MillisecondOverflow,
    WindowDone,
    iter_all_tickets,
    walk,
)

from .seeded import BUSY_DAY, DAY, HOT_MS, IN_HOT_MS, Seeded, Writer, seeded_server


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with seeded_server(tmp_path_factory.mktemp("walk")) as found:
        yield found


def ids_of(tickets: Iterator[dict[str, object]]) -> Counter[str]:
    return Counter(str(t["ticket_id"]) for t in tickets)


def test_every_ticket_exactly_once_across_the_10000_cap(seeded: Seeded) -> None:
    with seeded.client() as client:
        events = list(walk(client))
    counts = ids_of(e for e in events if isinstance(e, dict))
    assert set(counts) == seeded.ids and set(counts.values()) == {1}
    assert events[0] == Estimate(len(seeded.ids))
    windows = [e for e in events if isinstance(e, WindowDone)]
    # the busy day had to be cut; windows follow each other, oldest first, without gaps
    assert any(BUSY_DAY <= w.end < BUSY_DAY + DAY for w in windows)
    assert all(a.end + 1 == b.start for a, b in itertools.pairwise(windows))
    assert client.requests_sent < 120  # 60 pages of 200, plus the cuts and the token


def test_filters_and_update_windows(seeded: Seeded) -> None:
    with seeded.client() as client:
        closed = ids_of(iter_all_tickets(client, {"status_list": [50, 51]}))
        updated = ids_of(
            iter_all_tickets(client, since=BUSY_DAY, until=BUSY_DAY + DAY, by="update")
        )
        hot = ids_of(iter_all_tickets(client, since=HOT_MS, until=HOT_MS, page_size=7))
    assert set(closed) == {t.ticket_id for t in seeded.tickets if t.status in (50, 51)}
    assert set(closed.values()) == {1}
    expected = {
        t.ticket_id
        for t in seeded.tickets
        if t.updated_at is not None and BUSY_DAY <= t.updated_at <= BUSY_DAY + DAY
    }
    assert len(expected) > 3000 and set(updated) == expected and set(updated.values()) == {1}
    assert len(hot) == IN_HOT_MS and set(hot.values()) == {1}


def test_exactly_once_while_a_writer_updates_tickets(seeded: Seeded) -> None:
    writer = Writer(seeded.store, seeded.identity.helpdesk_id, seeded.tickets)
    writer.start()
    try:
        with seeded.client() as client:
            counts = ids_of(iter_all_tickets(client, page_size=100))
            # a filter on a field the writer changes: tickets move in and out of the result
            closed = ids_of(iter_all_tickets(client, {"status_list": [51]}, page_size=100))
    finally:
        writer.stop()
    assert writer.writes > 100
    assert set(counts) == seeded.ids and set(counts.values()) == {1}
    steady = {t.ticket_id for t in seeded.tickets if t.status == 51} - writer.touched
    assert steady <= set(closed) and set(closed.values()) == {1}


def test_tickets_backfilled_into_past_windows_during_the_walk(seeded: Seeded) -> None:
    """New tickets dated inside windows being read (a late import) shift the pages: the
    walk still yields every ticket that was there once, and each new one at most once."""
    before = set(seeded.current())
    writer = Writer(seeded.store, seeded.identity.helpdesk_id, seeded.tickets, backfill=True)
    writer.start()
    try:
        with seeded.client(per_second=200) as client:  # slow enough to overlap the writes
            counts = ids_of(iter_all_tickets(client, page_size=100))
    finally:
        writer.stop()
    assert len(writer.created) > 20
    assert before <= set(counts) and set(counts.values()) == {1}
    assert set(counts) - before <= writer.created


class Flaky(httpx.BaseTransport):
    """Every 5th request is answered 429, every 7th has its connection dropped."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.count = 0
        self.injected: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.count % 7 == 0:
            self.injected["dropped"] += 1
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if self.count % 5 == 0:
            self.injected["429"] += 1
            body = {"code": 99991400, "msg": "request trigger frequency limit"}
            return httpx.Response(429, json=body, headers={"x-ogw-ratelimit-reset": "0"})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_rate_limits_and_dropped_connections_mid_run(seeded: Seeded) -> None:
    flaky = Flaky(seeded.transport())
    with seeded.client(transport=flaky) as client:
        counts = ids_of(iter_all_tickets(client))
    assert set(counts) == set(seeded.current()) and set(counts.values()) == {1}
    assert flaky.injected["dropped"] >= 5 and flaky.injected["429"] >= 5


def test_more_than_10000_in_one_millisecond_names_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("tenant_access_token/internal"):
            return httpx.Response(200, json={"code": 0, "tenant_access_token": "t", "expire": 7200})
        start = int(request.url.params["create_time_start"])
        total = 10_001 if start <= HOT_MS <= int(request.url.params["create_time_end"]) else 0
        return httpx.Response(200, json={"code": 0, "data": {"total": total, "tickets": []}})

    client = FeishuClient(
        "cli_x", "s", "1", "t", transport=httpx.MockTransport(handler), per_second=None
    )
    with client, pytest.raises(MillisecondOverflow, match=f"{HOT_MS} \\(2026-01-01T12:00:00.123"):
        list(iter_all_tickets(client, since=0, until=2 * BUSY_DAY))


def test_pacing_stays_under_the_servers_limit(tmp_path: Path) -> None:
    """Against `--rate-limit feishu`: paced at 45/s nothing is refused; unpaced, some are."""
    from larkdesk.store.sqlite import SQLiteStore

    from .conftest import provision
    from .wire import serve

    store = SQLiteStore(tmp_path / "paced.db")
    identity = provision(store)
    store.close()
    with serve(tmp_path / "paced.db") as server:
        for per_second, requests in ((45, 60), (None, 300)):
            seen: Counter[int] = Counter()
            client = FeishuClient(
                identity.app_id,
                identity.app_secret,
                identity.helpdesk_id,
                identity.helpdesk_token,
                base_url=server.base_url,
                per_second=per_second,
                transport=Counting(seen, server.transport or httpx.HTTPTransport()),
            )
            with client:
                for _ in range(requests):
                    client.list_tickets({"page_size": 1})
                    if seen[429]:  # (the client waited and retried it)
                        break
            assert (seen[429] > 0) is (per_second is None), seen


class Counting(httpx.BaseTransport):
    def __init__(self, statuses: Counter[int], inner: httpx.BaseTransport) -> None:
        self.statuses = statuses
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.statuses[response.status_code] += 1
        return response

    def close(self) -> None:
        self.inner.close()
