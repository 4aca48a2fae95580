"""Tickets as flat rows for CSV and Parquet: one column per field of lark-oapi's TicketV2.

Derived from `helpdesk.models.Ticket`, so a new field becomes a new column by itself:
a nested object (`guest`, `comments`, `closed_by`, ...) becomes one column per sub-field
(`guest_id`, `guest_name`, ...); a list (`agents`, `tags`, ...) becomes one column of
JSON text. Comment ids exceed 2^53 (and spreadsheets round long numbers), so they are
text. A value of an unexpected type is left empty (NDJSON keeps everything as sent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from ...helpdesk.models import Ticket

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
HAS_BOOL = any(column.kind == "bool" for column in COLUMNS)
_json = msgspec.json.Encoder().encode
INT64 = range(-(2**63), 2**63)


def _as_json(value: Any) -> Any:
    return _json(value).decode("utf-8")


def _as_str(value: Any) -> Any:
    return value if type(value) is str else _as_json(value)


def _as_int(value: Any) -> Any:
    return value if type(value) is int and value in INT64 else None


def _as_float(value: Any) -> Any:
    return float(value) if type(value) in (int, float) else None


def _as_bool(value: Any) -> Any:
    return value if type(value) is bool else None


_CONVERT = {"json": _as_json, "str": _as_str, "int": _as_int, "float": _as_float, "bool": _as_bool}
Convert = Callable[[Any], Any]


def _plan() -> list[tuple[str, Convert | None, tuple[tuple[str, Convert], ...]]]:
    """Per top-level field: its converter, or (for an object) its sub-fields'."""
    plan: list[tuple[str, Convert | None, tuple[tuple[str, Convert], ...]]] = []
    for column in COLUMNS:
        convert = _CONVERT[column.kind]
        if len(column.path) == 1:
            plan.append((column.name, convert, ()))
        elif plan and plan[-1][0] == column.path[0] and plan[-1][1] is None:
            name, _, subs = plan[-1]
            plan[-1] = (name, None, (*subs, (column.path[1], convert)))
        else:
            plan.append((column.path[0], None, ((column.path[1], convert),)))
    return plan


_PLAN = _plan()


def flatten(ticket: dict[str, Any]) -> list[Any]:
    """The row of `ticket`'s values, column by column (None where there is none)."""
    row: list[Any] = []
    for name, convert, subs in _PLAN:
        value = ticket.get(name)
        if convert is not None:
            row.append(None if value is None else convert(value))
            continue
        if type(value) is list:  # Feishu has sent `comments` as a list: the last one
            value = value[-1] if value else None
        if type(value) is not dict:
            row.extend([None] * len(subs))
            continue
        for sub, convert_sub in subs:
            found = value.get(sub)
            row.append(None if found is None else convert_sub(found))
    return row
