"""Taking PostgreSQL's kept ticket counts per agent and per tag (migration 0021) in key
order before a ticket write changes them.

Triggers change those counts one statement at a time: a rewrite removes a ticket's links
(one statement) and adds its new ones (another). Two writers whose tickets share agents or
tags would each lock count rows in the first statement that the other needs in its second:
a deadlock, which PostgreSQL breaks by failing one of the writes. So a write first takes
every count row it is going to change, in one statement in key order (creating missing rows
at 0); the triggers then only change rows the transaction holds. SQLite locks the whole
file for a write and keeps no such counts: nothing to do there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .records import TicketRecord
from .sql import Sql

_TAKE = (
    "INSERT INTO {table} (helpdesk_id, {column}, tickets)"
    " SELECT h, k, 0 FROM unnest(?::text[], ?::text[]) AS u(h, k) ORDER BY 1, 2"
    " ON CONFLICT (helpdesk_id, {column}) DO UPDATE SET tickets = {table}.tickets"
)


def take(db: Sql, rewritten: Sequence[tuple[int, str]], written: Iterable[TicketRecord]) -> None:
    """Lock the count rows of the `written` tickets' new links and of the links the
    `rewritten` ones (seq, helpdesk_id) have now, in key order."""
    if not db.for_update:  # SQLite
        return
    records = list(written)
    agent_keys = {(r.helpdesk_id, agent) for r in records for agent in r.agent_ids}
    tag_keys = {(r.helpdesk_id, tag) for r in records for tag in r.tag_names}
    if rewritten:
        helpdesk_of = dict(rewritten)
        seqs = sorted(helpdesk_of)
        for seq, agent_id in db.all(
            "SELECT seq, agent_id FROM ticket_agents WHERE seq = ANY(?)", (seqs,)
        ):
            agent_keys.add((helpdesk_of[seq], agent_id))
        for seq, tag_name in db.all(
            "SELECT seq, tag_name FROM ticket_tags WHERE seq = ANY(?)", (seqs,)
        ):
            tag_keys.add((helpdesk_of[seq], tag_name))
    for table, column, keys in (
        ("agent_ticket_counts", "agent_id", agent_keys),
        ("tag_ticket_counts", "tag_name", tag_keys),
    ):
        if keys:
            ordered = sorted(keys)
            db.run(
                _TAKE.format(table=table, column=column),
                ([h for h, _ in ordered], [k for _, k in ordered]),
            )
