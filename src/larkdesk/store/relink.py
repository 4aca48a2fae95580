"""Rewriting a ticket's links (`ticket_agents`, `ticket_tags`) by difference.

A rewritten ticket nearly always keeps its agents and tags (a status change, a comment):
deleting every link and inserting them again fires the triggers that keep `agent_tickets`
and `tag_tickets` (and PostgreSQL's per-agent and per-tag counts) twice per link for
nothing. So the stored links are read first (one indexed read per table), and only the
ones that went are deleted and the ones that came are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence

from .sql import Sql, marks

Link = tuple[str, int]  # (agent_id or tag_name, seq)


def relink(
    db: Sql, table: str, column: str, rewritten: Sequence[int], wanted: Sequence[Link]
) -> list[Link]:
    """Delete the links of the `rewritten` seqs that are not `wanted`; return the wanted
    links not stored yet (to insert). Links of other seqs in `wanted` are new tickets'."""
    if not rewritten:
        return list(wanted)
    stored = {
        (str(key), int(seq))
        for key, seq in db.all(
            f"SELECT {column}, seq FROM {table} WHERE seq IN ({marks(len(rewritten))})",
            list(rewritten),
        )
    }
    keep = set(wanted)
    for key, seq in sorted(stored - keep):
        db.run(f"DELETE FROM {table} WHERE {column} = ? AND seq = ?", (key, seq))
    return [link for link in wanted if link not in stored]
