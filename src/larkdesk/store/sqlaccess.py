"""The two entry points every `SqlStore` method goes through; a backend supplies them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from .sql import Sql

T = TypeVar("T")
P = ParamSpec("P")


class SqlAccess:
    def _read(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        """`work(db, *args)` on a connection that reads."""
        raise NotImplementedError

    def _write(self, work: Callable[Concatenate[Sql, P], T], *args: P.args, **kw: P.kwargs) -> T:
        """`work(db, *args)` in one write transaction: all of it, or (if it raises) none."""
        raise NotImplementedError
