"""Access tokens the gateway issued, by the hash of their value."""

from __future__ import annotations

from .base import IssuedToken
from .identities import names_nothing
from .sql import Sql


def save_token(db: Sql, token: IssuedToken) -> None:
    db.run(
        "INSERT INTO access_tokens VALUES (?, ?, ?, ?)",
        (token.token_hash, token.app_id, token.kind, token.expires_at_ms),
    )


def find_token(db: Sql, token_hash: str) -> IssuedToken | None:
    if names_nothing(token_hash):
        return None
    row = db.one(
        "SELECT token_hash, app_id, kind, expires_at_ms FROM access_tokens WHERE token_hash = ?",
        (token_hash,),
    )
    return IssuedToken(*row) if row else None


def purge_tokens(db: Sql, now_ms: int) -> int:
    return db.run("DELETE FROM access_tokens WHERE expires_at_ms < ?", (now_ms,))
