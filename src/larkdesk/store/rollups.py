"""Metrics rollups: what the console's Metrics page reads instead of the tickets.

Every ticket counts towards the UTC day it was created on (`day` = days since 1970-01-01):
- `metric_counts (helpdesk_id, day, dim, key, n)`: tickets per dimension value: `created`,
  `ended`, `bot_ended` (key ""), `hour` of creation, `score` (1..3), dissatisfaction
  `reason`, `tag` (each tag of the ticket), `channel`, `city` (the guest's), `agent` (the
  owner, else the first agent) and `agent_score` ("score:agent_id");
- `metric_durations (helpdesk_id, kind, day, agent_id, value, n)`: exact value -> count
  histograms of first-response (`frt`) and resolution (`res`) times in ms, from the
  agent's entry (bot time excluded), per owner agent ("" for none): merged over a period
  they give the exact median and p90 of the tickets behind them, overall and per agent;
- `metric_agents (helpdesk_id, agent_id, name)`: the name last written for an agent (by
  a write that gave a ticket that agent or changed its name).

`apply` is called by every ticket write in its own transaction with the ticket's old and
new wire JSON: it takes the old ticket's contributions off and adds the new one's, as
additive upserts (`ON CONFLICT ... DO UPDATE SET n = n + excluded.n`), so concurrent writers
of different tickets add up exactly and a ticket's own writes are serialised by its row
lock. A rewrite that changes none of the ticket's metric facts (`ticket_facts.Facts`)
writes nothing here. `rebuild` recomputes everything from the tickets (migration 0014's fill,
`larkdesk metrics rebuild`). The definitions mirror `console.metrics` (the scan the tests
compare against). See docs/metrics.md. On SQLite, `metric_counts` and `metric_durations`
hold the helpdesk's small integer key in `helpdesk_id` (migration 0025,
`store/helpdesk_keys.py`): mapped when the deltas are written and when a period is read.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from . import body_codec
from .helpdesk_keys import Memo
from .sql import REPLACE, Sql, Table
from .ticket_facts import Facts, Plain, plain
from .ticket_facts import decode_facts as _facts
from .ticket_facts import span as _span

DAY_MS, HOUR_MS = 86_400_000, 3_600_000
CLOSED = (50, 51, 52)
BOT_TYPE = 1
FILL_CHUNK = 5000
SNAPSHOT_TRIES = 5  # reads of a snapshot while writers keep moving its days

COUNTS = Table(
    "metric_counts",
    (("helpdesk_id", "text"), ("day", "bigint"), ("dim", "text"), ("key", "text"), ("n", "bigint")),
)
DURATIONS = Table(
    "metric_durations",
    (
        ("helpdesk_id", "text"),
        ("kind", "text"),
        ("day", "bigint"),
        ("agent_id", "text"),
        ("value", "bigint"),
        ("n", "bigint"),
    ),
)
AGENTS = Table(
    "metric_agents",
    (("helpdesk_id", "text"), ("agent_id", "text"), ("name", "text")),
    key=("helpdesk_id", "agent_id"),
)
VERSIONS = Table(
    "metric_day_versions", (("helpdesk_id", "text"), ("day", "bigint"), ("version", "bigint"))
)
_BUMP = (
    "ON CONFLICT (helpdesk_id, day) DO UPDATE"
    " SET version = metric_day_versions.version + excluded.version"
)
_ADD_COUNTS = (
    "ON CONFLICT (helpdesk_id, day, dim, key) DO UPDATE SET n = metric_counts.n + excluded.n"
)
_ADD_DURATIONS = (
    "ON CONFLICT (helpdesk_id, kind, day, agent_id, value)"
    " DO UPDATE SET n = metric_durations.n + excluded.n"
)


class Deltas:
    """Contributions of tickets added (+1) and taken off (-1), summed per row key."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, int, str, str]] = Counter()
        self.durations: Counter[tuple[str, str, int, str, int]] = Counter()
        self.names: dict[tuple[str, str], str] = {}

    def add(self, helpdesk_id: str, body: bytes | None, sign: int) -> None:
        if body is not None:
            self.add_facts(helpdesk_id, _facts(body), sign)

    def add_facts(
        self, helpdesk_id: str, t: Facts, sign: int, had: tuple[str, str] | None = None
    ) -> tuple[str, str]:
        """Add (+1) or take off (-1) one ticket's contributions; returns its agent's id and
        name. An added ticket whose agent and name are those it `had` (before this write)
        writes no name: the one it wrote then stands."""
        return self.add_plain(helpdesk_id, plain(t), sign, had)

    def add_plain(
        self, helpdesk_id: str, p: Plain, sign: int, had: tuple[str, str] | None = None
    ) -> tuple[str, str]:
        """`add_facts` of facts already read."""
        (created, status, ticket_type, score, channel, reason, tags, city) = p[:8]
        agent, agent_name, entry, first_response, closed_at = p[8:]
        day = created // DAY_MS
        counts = self.counts
        counts[(helpdesk_id, day, "created", "")] += sign
        counts[(helpdesk_id, day, "hour", str(created // HOUR_MS % 24))] += sign
        ended = status in CLOSED
        if ended:
            counts[(helpdesk_id, day, "ended", "")] += sign
            if ticket_type == BOT_TYPE:
                counts[(helpdesk_id, day, "bot_ended", "")] += sign
        scored = score in (1, 2, 3)
        if scored:
            counts[(helpdesk_id, day, "score", str(score))] += sign
        if reason:
            counts[(helpdesk_id, day, "reason", reason)] += sign
        for name in tags:
            counts[(helpdesk_id, day, "tag", name)] += sign
        if channel is not None:
            counts[(helpdesk_id, day, "channel", str(channel))] += sign
        if city:
            counts[(helpdesk_id, day, "city", city)] += sign
        if agent:
            counts[(helpdesk_id, day, "agent", agent)] += sign
            if scored:
                counts[(helpdesk_id, day, "agent_score", f"{score}:{agent}")] += sign
            if sign > 0 and (agent, agent_name) != had:
                self.names[(helpdesk_id, agent)] = agent_name
        frt = _span(entry, first_response)
        resolution = _span(entry, closed_at if ended else None)
        if frt is not None:
            self.durations[(helpdesk_id, "frt", day, agent, frt)] += sign
        if resolution is not None:
            self.durations[(helpdesk_id, "res", day, agent, resolution)] += sign
        return agent, agent_name

    def write(self, db: Sql) -> None:
        """Add the summed deltas to the tables (rows in key order: PostgreSQL writers lock
        the rows they upsert in the same order, so they queue rather than deadlock)."""
        counts = _keyed(self.counts, db.new_helpdesk_key)
        durations = _keyed(self.durations, db.new_helpdesk_key)
        if counts:
            db.insert_rows(COUNTS, counts, _ADD_COUNTS)
        if durations:
            db.insert_rows(DURATIONS, durations, _ADD_DURATIONS)
        if self.names:
            db.insert_rows(AGENTS, sorted((*k, v) for k, v in self.names.items()), REPLACE)
        if days := self.days():
            db.insert_rows(VERSIONS, [(h, d, 1) for h, d in days], _BUMP)

    def days(self) -> list[tuple[str, int]]:
        """The (helpdesk_id, day) whose rollups change."""
        found = {(k[0], k[1]) for k, n in self.counts.items() if n}
        found.update((k[0], k[2]) for k, n in self.durations.items() if n)
        return sorted(found)

    def sqlite_rows(self, key: Callable[[str], Any]) -> SqliteRows:
        """What the bulk load writes, in key order (built in an import's worker process,
        written by `write_rows`); `key`: the helpdesk's key for its id (`helpdesk_keys`)."""
        return SqliteRows(
            _keyed(self.counts, key),
            _keyed(self.durations, key),
            sorted((*k, v) for k, v in self.names.items()),
            self.days(),
        )


class SqliteRows(NamedTuple):
    """Summed deltas as rows: `metric_counts`, `metric_durations`, `metric_agents`, and
    the (helpdesk_id, day) whose version goes up."""

    counts: list[tuple[object, ...]]
    durations: list[tuple[object, ...]]
    names: list[tuple[str, str, str]]
    days: list[tuple[str, int]]


def write_rows(conn: sqlite3.Connection, rows: SqliteRows) -> None:
    """Add `Deltas.sqlite_rows` to the tables on a bare SQLite connection."""
    for table, values, conflict in (
        (COUNTS, rows.counts, _ADD_COUNTS),
        (DURATIONS, rows.durations, _ADD_DURATIONS),
    ):
        marks = ", ".join("?" * len(table.columns))
        conn.executemany(f"INSERT INTO {table.name} VALUES ({marks}) {conflict}", values)
    conn.executemany("INSERT OR REPLACE INTO metric_agents VALUES (?, ?, ?)", rows.names)
    conn.executemany(f"INSERT INTO metric_day_versions VALUES (?, ?, 1) {_BUMP}", rows.days)


def _keyed(rows: Counter[Any], key: Callable[[str], Any]) -> list[tuple[Any, ...]]:
    """The rows to add, their helpdesk as `metric_counts` / `metric_durations` hold it
    (`Sql.helpdesk_key`: its key on SQLite), in key order."""
    keys = Memo(key)
    return sorted((keys[k[0]], *k[1:], n) for k, n in rows.items() if n)


def apply(db: Sql, changes: Iterable[tuple[str, bytes | None, bytes | None]]) -> None:
    """Within a ticket write: for each (helpdesk_id, old body, new body), take the old
    ticket's contributions off the rollups and add the new one's (None: no ticket)."""
    deltas = Deltas()
    for helpdesk_id, old, new in changes:
        before = None if old is None else _facts(old)
        after = None if new is None else _facts(new)
        if before is not None and before == after:
            continue  # no metric fact changed (a comment, a tag-less field): nothing moves
        had = None if before is None else deltas.add_facts(helpdesk_id, before, -1)
        if after is not None:
            deltas.add_facts(helpdesk_id, after, 1, had)
    deltas.write(db)


def rebuild(db: Sql, helpdesk_id: str | None = None) -> int:
    """Recompute the rollups of one helpdesk (every one: None) from its tickets; returns
    the tickets read. Runs in the caller's write transaction."""
    where, params = ("WHERE helpdesk_id = ?", [helpdesk_id]) if helpdesk_id else ("", [])
    keys = [db.helpdesk_key(helpdesk_id)] if helpdesk_id else []
    for table, values in ((COUNTS, keys), (DURATIONS, keys), (AGENTS, params)):
        db.run(f"DELETE FROM {table.name} {where}", values)
    # Versions only grow: every day held before changes version (copies of it are stale).
    db.run(f"UPDATE metric_day_versions SET version = version + 1 {where}", params)
    seq, read = -1, 0
    join = " AND t.helpdesk_id = ?" if helpdesk_id else ""
    while True:
        rows = db.all(
            "SELECT t.seq, t.helpdesk_id, b.body FROM tickets t JOIN ticket_bodies b"
            f" ON b.seq = t.seq WHERE t.seq > ?{join} ORDER BY t.seq LIMIT ?",
            [seq, *keys, FILL_CHUNK],
        )
        deltas = Deltas()
        for row_seq, row_helpdesk, body in rows:
            deltas.add(db.helpdesk_of(row_helpdesk), body_codec.unpack(body, db), 1)
            seq = row_seq
        deltas.write(db)
        read += len(rows)
        if len(rows) < FILL_CHUNK:
            return read


class DaySnapshot(NamedTuple):
    """The version of each of a period's days with rollups, and the rows of those days
    whose version a reader's copy lacks, read in one transaction."""

    versions: dict[int, int]
    counts: list[tuple[int, str, str, int]]  # (day, dim, key, n)
    durations: list[tuple[int, str, str, int, int]]  # (day, kind, agent_id, value, n)
    names: dict[str, str]  # agent_id -> name


def read_snapshot(
    db: Sql, helpdesk_id: str, first_day: int, last_day: int, known: dict[int, int]
) -> DaySnapshot:
    """The days' versions, and the rows of every day whose version is not `known`'s. The
    versions are read again after the rows, and the whole read again if they moved (a
    read on either backend may see commits between its statements; rows and versions
    change together, versions only grow): the rows are those of the versions returned."""
    for _ in range(SNAPSHOT_TRIES - 1):
        snap = _read_snapshot(db, helpdesk_id, first_day, last_day, known)
        if _versions(db, helpdesk_id, first_day, last_day) == snap.versions:
            return snap
    return _read_snapshot(db, helpdesk_id, first_day, last_day, known)


def _versions(db: Sql, helpdesk_id: str, first_day: int, last_day: int) -> dict[int, int]:
    return {
        int(d): int(v)
        for d, v in db.all(
            "SELECT day, version FROM metric_day_versions WHERE helpdesk_id = ?"
            " AND day BETWEEN ? AND ?",
            (helpdesk_id, first_day, last_day),
        )
    }


def _read_snapshot(
    db: Sql, helpdesk_id: str, first_day: int, last_day: int, known: dict[int, int]
) -> DaySnapshot:
    versions = _versions(db, helpdesk_id, first_day, last_day)
    stale = sorted(d for d, v in versions.items() if known.get(d) != v)
    key = db.helpdesk_key(helpdesk_id)  # what metric_counts / metric_durations hold
    counts: list[tuple[int, str, str, int]] = []
    durations: list[tuple[int, str, str, int, int]] = []
    for lo, hi in _runs(stale):
        counts.extend(
            (int(d), str(dim), str(k), int(n))
            for d, dim, k, n in db.all(
                "SELECT day, dim, key, n FROM metric_counts WHERE helpdesk_id = ?"
                " AND day BETWEEN ? AND ? AND n <> 0",
                (key, lo, hi),
            )
        )
        durations.extend(
            (int(d), str(kind), str(a), int(v), int(n))
            for d, kind, a, v, n in db.all(
                "SELECT day, kind, agent_id, value, n FROM metric_durations"
                " WHERE helpdesk_id = ? AND kind IN ('frt', 'res') AND day BETWEEN ? AND ?"
                " AND n <> 0",
                (key, lo, hi),
            )
        )
    names = {
        str(a): str(n)
        for a, n in db.all(
            "SELECT agent_id, name FROM metric_agents WHERE helpdesk_id = ?", (helpdesk_id,)
        )
    }
    return DaySnapshot(versions, counts, durations, names)


def last_day(db: Sql, helpdesk_id: str) -> int | None:
    """The newest day with rollups (the primary key's last entry of the helpdesk)."""
    row = db.one("SELECT max(day) FROM metric_day_versions WHERE helpdesk_id = ?", (helpdesk_id,))
    return None if row is None or row[0] is None else int(row[0])


def _runs(days: list[int]) -> list[tuple[int, int]]:
    """Sorted days as (first, last) runs of consecutive days."""
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
