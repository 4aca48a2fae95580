"""Where a database is: `--db` / `LARKDESK_DB` parsed once, strictly, into a location.

Accepted forms:
- a SQLite file path (`larkdesk.db`, `/var/lib/larkdesk.db`, `./odd:name.db`), `sqlite:PATH`,
  or `:memory:`;
- a PostgreSQL URL as libpq takes it: `postgresql://...` or `postgres://...`, or
  SQLAlchemy's `postgresql+psycopg://...` (`+psycopg2` too), which becomes `postgresql://...`.

Anything else that starts with a scheme (`mysql://x`, `http://...`, and `postgresql:x` or
`postgresql:/x` without `//`, which is what a URL turned into a `Path` looks like) is an
error naming the accepted forms, rather than the name of a SQLite file to create. A file
whose name has a colon in it is named `sqlite:NAME` or `./NAME`. A one-letter scheme is a
Windows drive (`C:\\data\\larkdesk.db`), so a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ACCEPTED = (
    "a SQLite file path, sqlite:PATH or :memory:, or a PostgreSQL URL "
    "(postgresql://..., postgres://... or postgresql+psycopg://...)"
)
MEMORY = ":memory:"
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):(?P<rest>.*)$", re.DOTALL)
_PASSWORD = re.compile(r"(?P<user>:/{0,2}[^/@:]*):[^@]*@")
_PASSWORD_PARAMETER = re.compile(r"password=[^&\s]*")
_POSTGRES = re.compile(r"^(?P<name>postgresql|postgres)(?:\+psycopg2?)?$", re.IGNORECASE)


class StoreUnavailable(Exception):
    """The database named cannot be opened; the message says why (never a password)."""


class InvalidLocation(StoreUnavailable, ValueError):
    """The text names no database larkdesk can open; the message says which forms it takes."""


@dataclass(frozen=True, slots=True)
class SqliteLocation:
    """A SQLite database: a file path, or `:memory:`."""

    path: str

    def __str__(self) -> str:
        return self.path

    @property
    def in_memory(self) -> bool:
        return self.path == MEMORY

    def missing_folder(self) -> Path | None:
        """The folder the file would go in, when it does not exist (nothing creates it)."""
        if self.in_memory:
            return None
        parent = Path(self.path).parent
        return None if parent.is_dir() else parent


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """A PostgreSQL database, by a URL psycopg accepts; shown without its password."""

    url: str = field(repr=False)

    def __str__(self) -> str:
        return self.redacted()

    def __repr__(self) -> str:
        return f"PostgresLocation({self.redacted()!r})"

    def redacted(self) -> str:
        """The URL without a password (in the address or as a `password=` parameter)."""
        parts = urlsplit(self.url)
        host = parts.netloc.rpartition("@")
        netloc = parts.netloc
        if host[1]:
            user = host[0].partition(":")[0]
            netloc = f"{user}@{host[2]}"
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
        return urlunsplit(parts._replace(netloc=netloc, query=query))


Location = SqliteLocation | PostgresLocation


def parse_location(text: str | Location) -> Location:
    """The database `text` names (see the module's docstring for the forms)."""
    if isinstance(text, SqliteLocation | PostgresLocation):
        return text
    if not text.strip():
        raise InvalidLocation(f"no database named: give {ACCEPTED}")
    if text == MEMORY:
        return SqliteLocation(MEMORY)
    found = _SCHEME.match(text)
    if found is None:
        return SqliteLocation(text)
    scheme, rest = found["scheme"], found["rest"]
    if scheme.lower() == "sqlite":
        if not rest:
            raise InvalidLocation(
                f"sqlite: needs a path, as in sqlite:larkdesk.db; give {ACCEPTED}"
            )
        return SqliteLocation(rest)
    postgres = _POSTGRES.match(scheme)
    if postgres is not None and rest.startswith("//"):
        return PostgresLocation(f"{postgres['name'].lower()}:{rest}")
    if postgres is not None:
        raise InvalidLocation(
            f"{_shown(text)} is not a PostgreSQL URL (it needs // after {scheme}:); give {ACCEPTED}"
        )
    raise InvalidLocation(
        f"{_shown(text)}: larkdesk cannot open {scheme}: databases; give {ACCEPTED}"
    )


def is_postgres(text: str | Location) -> bool:
    """True when `text` parses as a PostgreSQL location."""
    return isinstance(parse_location(text), PostgresLocation)


def _shown(text: str) -> str:
    """The text for a message, without what could be a password."""
    text = _PASSWORD.sub(r"\g<user>@", text, count=1)
    return repr(_PASSWORD_PARAMETER.sub("password=…", text))
