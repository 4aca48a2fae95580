"""Access tokens the gateway issued, by the hash of their value, and the server's secrets.

An app's tokens are one series, as on Feishu: its newest token is answered again while it
has more than a while left, then a new one is issued, and the older stays valid until it
expires. Choosing and issuing happen in one write that holds the app's lock (SQLite's
write lock; PostgreSQL's row lock on the app), so workers asking at once cannot make a
third live token, and the app's expired tokens are purged there: an app keeps at most two
rows however often it asks.
"""

from __future__ import annotations

from .base import IssuedToken
from .identities import names_nothing
from .sql import Sql

_COLUMNS = "token_hash, app_id, kind, expires_at_ms, salt"


def save_token(db: Sql, token: IssuedToken) -> None:
    db.run(
        f"INSERT INTO access_tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        (token.token_hash, token.app_id, token.kind, token.expires_at_ms, token.salt),
    )


def find_token(db: Sql, token_hash: str) -> IssuedToken | None:
    if names_nothing(token_hash):
        return None
    row = db.one(f"SELECT {_COLUMNS} FROM access_tokens WHERE token_hash = ?", (token_hash,))
    return IssuedToken(*row) if row else None


def purge_tokens(db: Sql, now_ms: int) -> int:
    return db.run("DELETE FROM access_tokens WHERE expires_at_ms < ?", (now_ms,))


def reusable_token(db: Sql, app_id: str, now_ms: int, more_than_ms: int) -> IssuedToken | None:
    """The app's newest answerable token, if it has more than `more_than_ms` left."""
    if names_nothing(app_id):
        return None
    row = db.one(
        f"SELECT {_COLUMNS} FROM access_tokens WHERE app_id = ? AND salt IS NOT NULL"
        " ORDER BY expires_at_ms DESC LIMIT 1",
        (app_id,),
    )
    if row is None or row[3] - now_ms <= more_than_ms:
        return None
    return IssuedToken(*row)


def reuse_or_issue_token(
    db: Sql, fresh: IssuedToken, now_ms: int, more_than_ms: int
) -> IssuedToken:
    """Under the app's lock: purge its expired tokens; answer the newest if it has more than
    `more_than_ms` left (another worker issued it meanwhile), else save `fresh`."""
    db.one(f"SELECT app_id FROM apps WHERE app_id = ?{db.for_update}", (fresh.app_id,))
    db.run(
        "DELETE FROM access_tokens WHERE app_id = ? AND expires_at_ms <= ?", (fresh.app_id, now_ms)
    )
    current = reusable_token(db, fresh.app_id, now_ms, more_than_ms)
    if current is not None:
        return current
    save_token(db, fresh)
    return fresh


def find_server_secret(db: Sql, name: str) -> str | None:
    row = db.one("SELECT value FROM server_secrets WHERE name = ?", (name,))
    return str(row[0]) if row else None


def server_secret(db: Sql, name: str, candidate: str) -> str:
    """The secret called `name`; `candidate` becomes it if there is none yet (the first
    worker to start wins, every other one reads the winner's)."""
    db.run("INSERT INTO server_secrets VALUES (?, ?) ON CONFLICT DO NOTHING", (name, candidate))
    row = db.one("SELECT value FROM server_secrets WHERE name = ?", (name,))
    if row is None:  # just written or already there: a row always exists here
        raise LookupError(f"server secret {name!r} is missing")
    return str(row[0])
