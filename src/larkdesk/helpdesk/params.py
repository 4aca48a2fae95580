"""Query parameters as the helpdesk APIs read them: grouped by key, integers checked.

Decisions where Feishu's documents are silent:
- arrays arrive as repeated keys, `key[]=` or comma-joined values, in any mix;
- an empty value (`type=`) counts as absent; a repeated scalar takes its first value;
- unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import BadRequest

MAX_LIST_ITEMS = 100
MAX_STRING_LENGTH = 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_ARRAYS = frozenset({"status_list", "tags"})


def shown(value: str) -> str:
    """A parameter value as an error message quotes it: at most 40 characters."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def group_params(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Collect values by key, folding `key[]` into `key` and splitting arrays on commas."""
    grouped: dict[str, list[str]] = {}
    for raw_key, value in items:
        key = raw_key.removesuffix("[]")
        parts = [part.strip() for part in value.split(",")] if key in _ARRAYS else [value]
        grouped.setdefault(key, []).extend(part for part in parts if part)
    return grouped


def parse_int(name: str, value: str, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """`value` as a 64-bit integer within `minimum..maximum`, else `BadRequest`."""
    if not _INTEGER.fullmatch(value):
        raise BadRequest(f"{name} must be an integer, got {shown(value)}")
    number = int(value)
    if not INT64_MIN <= number <= INT64_MAX:
        raise BadRequest(f"{name} is out of range for a 64-bit integer, got {shown(value)}")
    if not minimum <= number <= maximum:
        raise BadRequest(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number
