"""Query parameters as the helpdesk APIs read them: grouped by key, integers checked.

Decisions where Feishu's documents are silent:
- arrays arrive as repeated keys, `key[]=` or indexed keys (`key[0]=`), in any mix; integer
  arrays also as comma-joined values (`status_list=1,2`), `tags` not (a name may hold a
  comma);
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
_INTEGER_ARRAYS = frozenset({"status_list"})
_INDEXED_KEY = re.compile(r"(?P<name>[^\[\]]+)\[(?P<index>[^\]]*)\]")
_MAX_INDEX_DIGITS = 9


def shown(value: str) -> str:
    """A parameter value as an error message quotes it: at most 40 characters."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def group_params(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Collect values by key: `key[]` folds into `key`; an array's indexed keys
    (`tags[1]=x`) follow its other values in index order; only integer arrays are split on
    commas (a comma may be part of a tag's name)."""
    grouped: dict[str, list[str]] = {}
    indexed: dict[str, list[tuple[int, str]]] = {}
    for raw_key, value in items:
        key, index = _array_key(raw_key)
        if index is None:
            grouped.setdefault(key, []).extend(_values(key, value))
        else:
            indexed.setdefault(key, []).append((index, value))
    for key, pairs in indexed.items():
        pairs.sort(key=lambda pair: pair[0])  # stable: a repeated index keeps arrival order
        for _, value in pairs:
            grouped.setdefault(key, []).extend(_values(key, value))
    return grouped


def _array_key(raw_key: str) -> tuple[str, int | None]:
    """`key[]` as `key`; an array's `key[N]` as `(key, N)`; any other key as it is."""
    if raw_key.endswith("[]"):
        return raw_key[:-2], None
    found = _INDEXED_KEY.fullmatch(raw_key)
    if found is None or found["name"] not in _ARRAYS:
        return raw_key, None
    index = found["index"]
    if not (index.isascii() and index.isdigit() and len(index) <= _MAX_INDEX_DIGITS):
        raise BadRequest(
            f"{found['name']}: the index in {shown(raw_key)} must be a whole number "
            f"below {10**_MAX_INDEX_DIGITS}"
        )
    return found["name"], int(index)


def _values(key: str, value: str) -> list[str]:
    """An array's values trimmed (integer arrays split on commas); other values as sent."""
    if key not in _ARRAYS:
        return [value] if value else []
    parts = value.split(",") if key in _INTEGER_ARRAYS else [value]
    return [part.strip() for part in parts if part.strip()]


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
