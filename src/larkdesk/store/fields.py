"""Each helpdesk's custom-field definitions (wire JSON), which updates are checked against."""

from __future__ import annotations

from collections.abc import Iterable

from .base import CustomizedFieldRecord
from .identities import names_nothing
from .sql import REPLACE, Sql, Table

CUSTOMIZED_FIELDS = Table(
    "customized_fields",
    (("helpdesk_id", "text"), ("field_id", "text"), ("position", "bigint"), ("body", "bytea")),
    key=("helpdesk_id", "field_id"),
)


def save_customized_fields(db: Sql, fields: Iterable[CustomizedFieldRecord]) -> None:
    latest = {(f.helpdesk_id, f.field_id): f for f in fields}  # the last one wins
    rows = [(f.helpdesk_id, f.field_id, f.position, f.body) for f in latest.values()]
    db.insert_rows(CUSTOMIZED_FIELDS, rows, REPLACE)


def list_customized_fields(db: Sql, helpdesk_id: str) -> list[CustomizedFieldRecord]:
    rows = db.all(
        "SELECT helpdesk_id, field_id, position, body FROM customized_fields"
        " WHERE helpdesk_id = ? ORDER BY position, field_id",
        (helpdesk_id,),
    )
    return [CustomizedFieldRecord(h, f, p, bytes(b)) for h, f, p, b in rows]


def delete_customized_field(db: Sql, helpdesk_id: str, field_id: str) -> bool:
    if names_nothing(field_id):
        return False
    return (
        db.run(
            "DELETE FROM customized_fields WHERE helpdesk_id = ? AND field_id = ?",
            (helpdesk_id, field_id),
        )
        > 0
    )
