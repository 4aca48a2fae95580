"""The console's sorted ticket pages use their indexes (migration 0017) on both stores:
each sort key's range, a filtered walk and a walk within one status read an index in the
key's order, with no sort step, so a plan regression shows here without timing anything
(bench/console_pages.py times them on a million tickets)."""

from __future__ import annotations

from typing import Any

import pytest

from larkdesk.helpdesk.models import Ticket, to_record
from larkdesk.store.base import Store, TicketQuery
from larkdesk.store.console_records import TimeSlot
from larkdesk.store.console_sorts import (
    SORT_COLUMNS,
    Walk,
    range_sql,
    walk_sql,
    where_of,
)
from larkdesk.store.filters import POSTGRES, SQLITE
from larkdesk.store.sql import Sql

from .conftest import Identity

KEY_INDEX = {
    "created_at": "tickets_order",
    "updated_at": "tickets_sort_updated",
    "status": "tickets_sort_status",
    "score": "tickets_sort_score",
    "channel": "tickets_sort_channel",
    "ticket_type": "tickets_sort_type",
}
STATUS_INDEX = {
    "created_at": "tickets_status",
    "updated_at": "tickets_status_updated",
    "score": "tickets_status_score",
    "channel": "tickets_status_channel",
    "ticket_type": "tickets_status_type",
}


def plan(store: Store, sql: str, params: list[Any]) -> str:
    """The plan's text: SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with sequential
    and bitmap scans off (a test table is small enough to read whole), so what is left
    shows whether an index can give the order."""
    postgres = type(store).__name__.startswith("Postgres")

    def explain(db: Sql) -> str:
        if postgres:
            db.run("SET LOCAL enable_seqscan = off")
            db.run("SET LOCAL enable_bitmapscan = off")
            return "\n".join(str(row[0]) for row in db.all("EXPLAIN " + sql, params))
        return "\n".join(str(row[-1]) for row in db.all("EXPLAIN QUERY PLAN " + sql, params))

    return str(store._write(explain))  # type: ignore[attr-defined]


def uses(text: str, index: str) -> bool:
    return f"INDEX {index} " in text or f"INDEX {index}\n" in text or f"using {index} " in text


def no_sort(text: str) -> bool:
    return "TEMP B-TREE" not in text and " Sort " not in f" {text} " and "Sort Key" not in text


@pytest.fixture
def loaded(store: Store, identity: Identity) -> Identity:
    store.upsert_tickets(
        to_record(
            Ticket(
                ticket_id=str(7_200_000_000_000_000_000 + n),
                created_at=1_700_000_000_000 + n * 1000,
                updated_at=1_700_000_500_000 + n * 7,
                status=(1, 2, 50, 51)[n % 4],
                ticket_type=1 + n % 2,
                channel=n % 5,
                score=None if n % 3 == 0 else n % 3,
            ),
            identity.helpdesk_id,
        )
        for n in range(400)
    )
    return identity


@pytest.mark.parametrize("descending", [True, False])
def test_every_sort_reads_its_index_in_order(
    store: Store, loaded: Identity, descending: bool
) -> None:
    dialect = POSTGRES if type(store).__name__.startswith("Postgres") else SQLITE
    desk = loaded.helpdesk_id
    for sort in SORT_COLUMNS:
        cursor = Walk(sort, descending, (1, "7200000000000000100"), 51)
        # no filter: the key's index, from the cursor
        text = plan(store, range_sql(cursor), [desk, *cursor.cursor, 51])
        assert uses(text, KEY_INDEX[sort]) and no_sort(text), (sort, text)
        # a filter of another column: the walk reads the key's index
        other = TicketQuery(channel=2) if sort != "channel" else TicketQuery(score=1)
        where, params = where_of(dialect, desk, other, TimeSlot(), correlated=True)
        text = plan(
            store, walk_sql(where, cursor, None, False), [desk, *cursor.cursor, *params, 51]
        )
        assert uses(text, KEY_INDEX[sort]) and no_sort(text), (sort, text)
        if sort == "status":
            continue
        # one status of the open / closed views: the (status, key) index
        one = TicketQuery(statuses=(2,), tags=("vip",))
        where, params = where_of(dialect, desk, one, TimeSlot(), correlated=True)
        sql = walk_sql(where, cursor, None, True)
        text = plan(store, sql, [desk, 2, *cursor.cursor, *params, 51])
        assert uses(text, STATUS_INDEX[sort]) and no_sort(text), (sort, text)
