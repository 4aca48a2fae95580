"""`larkdesk migrate`: copy a whole larkdesk database from SQLite to PostgreSQL.

Order: both schemas are brought up to date; every table that does not belong to a ticket
(tenants, apps, helpdesks, users, tokens, ...) is merged in, skipping keys already there;
then tickets and everything keyed by their seq, in seq order, one transaction per chunk;
then the target rebuilds its derived tables and the counts are compared. Run it again
after an interruption and it goes on from the target's highest ticket seq.

The source should not be written to while it is copied (stop `serve` first); a second
run picks up tickets added meanwhile, but not changes to tickets already copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..store import PostgresLocation, SqliteLocation, open_store
from ..store.copy import DERIVED_TABLES, PostgresTarget, SQLiteSource, Table

CHUNK_TICKETS = 2000


class CopyFailed(Exception):
    """The copy cannot start or did not verify; the message says why."""


@dataclass
class CopyReport:
    """What a copy did: rows per table in source and target, and where it resumed."""

    resumed_after_seq: int = 0
    tickets_copied: int = 0
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table: (source, target)

    @property
    def verified(self) -> bool:
        return all(source == target for source, target in self.counts.values())


Progress = Callable[[int, int], None]  # (tickets done, tickets in the source)


def copy_database(
    source: SqliteLocation,
    target: PostgresLocation,
    progress: Progress | None = None,
    chunk_tickets: int = CHUNK_TICKETS,
) -> CopyReport:
    """Copy the SQLite database at `source` into the PostgreSQL one at `target`."""
    for location in (source, target):
        open_store(location).close()  # create or upgrade both schemas first
    reader, writer = SQLiteSource(source.path), PostgresTarget(target.url)
    try:
        return _copy(reader, writer, progress, chunk_tickets)
    finally:
        reader.close()
        writer.close()


def _copy(
    source: SQLiteSource, target: PostgresTarget, progress: Progress | None, chunk_tickets: int
) -> CopyReport:
    tables = _tables_to_copy(source, target)
    _refuse_foreign_target(source, target)
    report = CopyReport(resumed_after_seq=target.max_ticket_seq())
    # Tables made before `tickets` go first (tickets may not refer to them, but they
    # may refer to each other); later ones (lifecycle tables) may refer to tickets.
    position = next(i for i, t in enumerate(tables) if t.name == "tickets")
    _merge_tables(source, target, tables[:position])
    _copy_tickets(source, target, tables, report, progress, chunk_tickets)
    _merge_tables(source, target, tables[position:])
    target.finish()
    _verify(source, target, tables, report)
    return report


def _tables_to_copy(source: SQLiteSource, target: PostgresTarget) -> list[Table]:
    tables = source.tables()
    present = target.columns()
    for table in tables:
        if table.name not in present:
            raise CopyFailed(f"the target has no table {table.name!r}: is larkdesk up to date?")
        missing = set(table.columns) - set(present[table.name])
        if missing:
            raise CopyFailed(f"the target's {table.name} lacks columns {sorted(missing)}")
    if not any(t.name == "tickets" for t in tables):
        raise CopyFailed("the source has no tickets table: is it a larkdesk database?")
    return tables


def _merge_tables(source: SQLiteSource, target: PostgresTarget, tables: list[Table]) -> None:
    for table in tables:
        if not table.per_ticket:
            for rows in source.rows(table):
                target.merge(table, rows)


def _refuse_foreign_target(source: SQLiteSource, target: PostgresTarget) -> None:
    """A non-empty target must be an earlier (interrupted) copy of this source."""
    theirs = target.tenant_keys()
    ours = {row[0] for rows in source.rows(Table("tenants", ("tenant_key",))) for row in rows}
    if theirs - ours:
        raise CopyFailed(
            "the target already holds tenants that the source does not have; "
            "copy into an empty database (or the one an interrupted copy left)"
        )


def _copy_tickets(
    source: SQLiteSource,
    target: PostgresTarget,
    tables: list[Table],
    report: CopyReport,
    progress: Progress | None,
    chunk_tickets: int,
) -> None:
    per_ticket = [t for t in tables if t.per_ticket]
    per_ticket.sort(key=lambda t: t.name != "tickets")  # tickets first, then what hangs off
    total = source.count("tickets")
    done = target.count("tickets")
    after = report.resumed_after_seq
    if progress is not None:
        progress(done, total)
    while seqs := source.ticket_seqs_after(after, chunk_tickets):
        upto = seqs[-1]
        batches = [
            (table, [row for rows in source.rows(table, after, upto) for row in rows])
            for table in per_ticket
        ]
        target.append(batches, after, upto)
        report.tickets_copied += len(seqs)
        done += len(seqs)
        after = upto
        if progress is not None:
            progress(done, total)


def _verify(
    source: SQLiteSource, target: PostgresTarget, tables: list[Table], report: CopyReport
) -> None:
    for table in tables:
        report.counts[table.name] = (source.count(table.name), target.count(table.name))
    kept = "helpdesk_ticket_counts"
    if kept in DERIVED_TABLES:
        ours, theirs = source.kept_ticket_counts(), target.kept_ticket_counts()
        report.counts[f"{kept} (sum)"] = (sum(ours.values()), sum(theirs.values()))
        report.counts[f"{kept} (helpdesks)"] = (
            len(ours),
            sum(1 for h, n in ours.items() if theirs.get(h) == n),
        )
