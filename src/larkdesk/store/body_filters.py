"""The console's filters on what only a ticket's wire JSON holds: the guest's city and the
dissatisfaction reason (the metrics page's drill-downs). Read as `console.metrics` and
`store.rollups` read them: the reason is the first of a list, its `en_us` text when it
has one, else its `zh_cn`. No index serves them: the other filters (the period, always
given by a drill-down) narrow the tickets first."""

from __future__ import annotations

from typing import Any

from .filters import SQLITE, Dialect

_SQLITE_BODY = "body_json(b.body)"  # stored compressed: store/body_codec.py
_PG_BODY = "convert_from(b.body, 'UTF8')::jsonb"


def _path(dialect: Dialect, *steps: str) -> str:
    if dialect == SQLITE:
        path = "$" + "".join(f"[{s}]" if s.isdigit() else f".{s}" for s in steps)
        return f"json_extract({_SQLITE_BODY}, '{path}')"
    return f"({_PG_BODY} #>> '{{{','.join(steps)}}}')"


def _reason(dialect: Dialect) -> str:
    field = "dissatisfaction_reason"
    en, zh = _path(dialect, field, "en_us"), _path(dialect, field, "zh_cn")
    first_en, first_zh = _path(dialect, field, "0", "en_us"), _path(dialect, field, "0", "zh_cn")
    return f"COALESCE(NULLIF({en}, ''), {zh}, NULLIF({first_en}, ''), {first_zh})"


def body_condition(dialect: Dialect, city: str | None, reason: str | None) -> tuple[str, list[Any]]:
    """` AND EXISTS (...)` over the ticket's body (the query's table is `tickets`), or ""."""
    tests, params = [], []
    if city is not None:
        tests.append(f"{_path(dialect, 'guest', 'city')} = ?")
        params.append(city)
    if reason is not None:
        tests.append(f"{_reason(dialect)} = ?")
        params.append(reason)
    if not tests:
        return "", []
    where = " AND ".join(tests)
    sql = f" AND EXISTS (SELECT 1 FROM ticket_bodies b WHERE b.seq = tickets.seq AND {where})"
    return sql, params
