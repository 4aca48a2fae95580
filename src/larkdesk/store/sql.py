"""The one connection interface every resource's SQL is written against.

Resource modules (`identities`, `tokens`, `tickets`, `tags`, `comments`, `fields`,
`sync_state`) write their SQL once, with `?` placeholders and the syntax SQLite and
PostgreSQL share (`INSERT ... ON CONFLICT ... DO UPDATE`, row values, `IN (...)`), and run
it through a `Sql`. Each backend supplies one implementation (`SQLiteSql`, `PostgresSql`)
for what the two databases spell differently: placeholders, batch writes (`executemany`
on SQLite, whole columns as arrays through `unnest` on PostgreSQL, one statement per
batch), ticket seq allocation and row locks. See docs/storage.md for why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Row = Sequence[Any]


KEEP = "keep"
"""`insert_rows` conflict: a row whose key is stored already is left as it is."""
REPLACE = "replace"
"""`insert_rows` conflict: a row whose key is stored already is replaced by the new one."""


@dataclass(frozen=True, slots=True)
class Table:
    """A table's name and the columns a batch write fills, with their PostgreSQL types
    (`bigint`, `text`, `bytea`: what `unnest` needs to type its arrays), and the columns
    of its primary key (what `REPLACE` replaces by)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


class Sql(Protocol):
    """One database connection, inside a read or a write transaction."""

    for_update: str
    """Appended to a SELECT that reads rows about to be rewritten: " FOR UPDATE" where
    rows are locked one by one (PostgreSQL), "" where the whole write is (SQLite)."""

    def one(self, sql: str, params: Row = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        ...

    def all(self, sql: str, params: Row = ()) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        ...

    def run(self, sql: str, params: Row = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        ...

    def insert_rows(self, table: Table, rows: Sequence[Row], conflict: str = "") -> None:
        """Insert every row (one value per column, in `table.columns`' order) as one batch.
        `conflict` is "" (a stored key is an error), `KEEP`, `REPLACE`, or an
        `ON CONFLICT ...` clause written for both databases."""
        ...

    def update_rows(self, table: Table, key: str, rows: Sequence[Row]) -> None:
        """`UPDATE table SET column = ... WHERE key = ...` for every row: the key's value
        first, then one value per column."""
        ...

    def delete_where(self, table: str, column: str, values: Sequence[Any]) -> None:
        """Delete every row of `table` whose `column` is one of `values`."""
        ...

    def next_ticket_seqs(self, count: int) -> list[int]:
        """`count` unused ticket seqs, in increasing order."""
        ...

    def helpdesk_key(self, helpdesk_id: str) -> Any:
        """What the per-ticket tables (`tickets`, `agent_tickets`, `tag_tickets`,
        `guest_names`) hold in their `helpdesk_id` column for this helpdesk: its small
        integer key on SQLite (None when it has none: matches no row), the id itself on
        PostgreSQL. See `helpdesk_keys`."""
        ...

    def new_helpdesk_key(self, helpdesk_id: str) -> Any:
        """`helpdesk_key`, assigned in this (write) transaction when the helpdesk has none."""
        ...

    def helpdesk_of(self, key: Any) -> str:
        """The helpdesk id of a `helpdesk_id` value read from a per-ticket table."""
        ...


def marks(count: int) -> str:
    """`?, ?, ...`: `count` placeholders for an `IN (...)` list."""
    return ", ".join("?" * count)
