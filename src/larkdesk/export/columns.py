"""Tickets as flat rows for CSV and Parquet: one column per field of lark-oapi's TicketV2.

Derived from `helpdesk.models.Ticket`, so a new field becomes a new column by itself:
a nested object (`guest`, `comments`, `closed_by`, ...) becomes one column per sub-field
(`guest_id`, `guest_name`, ...); a list (`agents`, `tags`, ...) becomes one column of
JSON text. Comment ids exceed 2^53 (and spreadsheets round long numbers), so they are
text. A value of an unexpected type is left empty (NDJSON keeps everything as sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from ..helpdesk.models import Ticket

Kind = Literal["int", "float", "bool", "str", "json"]
AS_TEXT = frozenset({"comments_id", "comments_user_id"})


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    path: tuple[str, ...]  # keys from the ticket object to the value
    kind: Kind


def _kind(info: msgspec.inspect.Type) -> Kind | None:
    if isinstance(info, msgspec.inspect.UnionType):
        types = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        return _kind(types[0]) if len(types) == 1 else "json"
    if isinstance(info, msgspec.inspect.BoolType):
        return "bool"
    if isinstance(info, msgspec.inspect.IntType):
        return "int"
    if isinstance(info, msgspec.inspect.FloatType):
        return "float"
    if isinstance(info, msgspec.inspect.StrType):
        return "str"
    if isinstance(info, msgspec.inspect.StructType):
        return None  # flattened by the caller
    return "json"


def _struct_of(info: msgspec.inspect.Type) -> msgspec.inspect.StructType | None:
    if isinstance(info, msgspec.inspect.UnionType):
        found = [t for t in info.types if isinstance(t, msgspec.inspect.StructType)]
        return found[0] if found else None
    return info if isinstance(info, msgspec.inspect.StructType) else None


def ticket_columns() -> tuple[Column, ...]:
    """Every flat column, in the seed's field order."""
    ticket = msgspec.inspect.type_info(Ticket)
    assert isinstance(ticket, msgspec.inspect.StructType)  # Ticket is a Struct
    columns = []
    for field in ticket.fields:
        nested = _struct_of(field.type)
        if nested is None:
            columns.append(Column(field.name, (field.name,), _kind(field.type) or "json"))
            continue
        for sub in nested.fields:
            name = f"{field.name}_{sub.name}"
            kind = "str" if name in AS_TEXT else _kind(sub.type) or "json"
            columns.append(Column(name, (field.name, sub.name), kind))
    return tuple(columns)


COLUMNS = ticket_columns()
_json = msgspec.json.Encoder().encode


def flatten(ticket: dict[str, Any]) -> list[Any]:
    """The row of `ticket`'s values, column by column (None where there is none)."""
    return [_value(ticket, column) for column in COLUMNS]


def _value(ticket: dict[str, Any], column: Column) -> Any:
    value: Any = ticket.get(column.path[0])
    if len(column.path) == 2:
        if isinstance(value, list):  # Feishu has sent `comments` as a list: the last one
            value = value[-1] if value else None
        value = value.get(column.path[1]) if isinstance(value, dict) else None
    if value is None:
        return None
    kind = column.kind
    if kind == "json":
        return _json(value).decode("utf-8")
    if kind == "str":
        return value if isinstance(value, str) else _json(value).decode("utf-8")
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "int":
        fits = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
        return value if fits else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
