"""Each helpdesk's tags: a name is unique per helpdesk and keeps its id for good."""

from __future__ import annotations

from collections.abc import Sequence

from .base import TagRecord
from .sql import KEEP, Sql, Table, marks

HELPDESK_TAGS = Table(
    "helpdesk_tags", (("helpdesk_id", "text"), ("name", "text"), ("tag_id", "text"))
)


def ensure_tags(db: Sql, helpdesk_id: str, tags: Sequence[TagRecord]) -> list[TagRecord]:
    """Create the tags the helpdesk lacks by name; return all of them as stored, in order.
    Names are inserted sorted, so two writers creating the same tags cannot deadlock."""
    if not tags:
        return []
    ordered = sorted({t.name: t for t in tags}.values(), key=lambda t: t.name)
    db.insert_rows(HELPDESK_TAGS, [(helpdesk_id, t.name, t.tag_id) for t in ordered], KEEP)
    stored = dict(
        db.all(
            f"SELECT name, tag_id FROM helpdesk_tags WHERE helpdesk_id = ?"
            f" AND name IN ({marks(len(ordered))})",
            [helpdesk_id, *(t.name for t in ordered)],
        )
    )
    return [TagRecord(stored[t.name], t.name) for t in tags]


def list_tags(db: Sql, helpdesk_id: str) -> list[TagRecord]:
    rows = db.all(
        "SELECT tag_id, name FROM helpdesk_tags WHERE helpdesk_id = ? ORDER BY name",
        (helpdesk_id,),
    )
    return [TagRecord(*row) for row in rows]
