"""Tenants, their apps and helpdesks, and the people (guests and agents) they know."""

from __future__ import annotations

from collections.abc import Iterable

from .base import App, Helpdesk, Tenant, User
from .sql import REPLACE, Sql, Table

USERS = Table(
    "users",
    (
        ("user_id", "text"),
        ("tenant_key", "text"),
        ("name", "text"),
        ("email", "text"),
        ("department", "text"),
        ("city", "text"),
        ("country", "text"),
        ("avatar_url", "text"),
    ),
    key=("user_id",),
)
_USER_COLUMNS = ", ".join(USERS.names)


def names_nothing(key: str) -> bool:
    """True for a key no row can have: text with a NUL character (PostgreSQL text cannot
    hold one), so that both backends answer "not found" alike."""
    return "\x00" in key


def create_tenant(db: Sql, tenant: Tenant) -> None:
    db.run("INSERT INTO tenants VALUES (?, ?)", (tenant.tenant_key, tenant.name))


def get_tenant(db: Sql, tenant_key: str) -> Tenant | None:
    if names_nothing(tenant_key):
        return None
    row = db.one("SELECT tenant_key, name FROM tenants WHERE tenant_key = ?", (tenant_key,))
    return Tenant(*row) if row else None


def create_app(db: Sql, app: App) -> None:
    db.run(
        "INSERT INTO apps VALUES (?, ?, ?, ?, ?)",
        (app.app_id, app.tenant_key, app.name, app.secret_hash, " ".join(app.scopes)),
    )


def get_app(db: Sql, app_id: str) -> App | None:
    if names_nothing(app_id):
        return None
    row = db.one(
        "SELECT app_id, tenant_key, name, secret_hash, scopes FROM apps WHERE app_id = ?",
        (app_id,),
    )
    return App(row[0], row[1], row[2], row[3], tuple(row[4].split())) if row else None


def create_helpdesk(db: Sql, helpdesk: Helpdesk) -> None:
    db.run(
        "INSERT INTO helpdesks VALUES (?, ?, ?, ?)",
        (helpdesk.helpdesk_id, helpdesk.tenant_key, helpdesk.name, helpdesk.token_hash),
    )


def get_helpdesk(db: Sql, helpdesk_id: str) -> Helpdesk | None:
    if names_nothing(helpdesk_id):
        return None
    row = db.one(
        "SELECT helpdesk_id, tenant_key, name, token_hash FROM helpdesks WHERE helpdesk_id = ?",
        (helpdesk_id,),
    )
    return Helpdesk(*row) if row else None


def upsert_users(db: Sql, users: Iterable[User]) -> None:
    latest = {u.user_id: u for u in users}  # one row per id, the last one wins
    rows = [
        (u.user_id, u.tenant_key, u.name, u.email, u.department, u.city, u.country, u.avatar_url)
        for u in latest.values()
    ]
    db.insert_rows(USERS, rows, REPLACE)


def get_user(db: Sql, user_id: str) -> User | None:
    if names_nothing(user_id):
        return None
    row = db.one(f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
    return User(*row) if row else None


def is_empty(db: Sql) -> bool:
    """True when the database holds no tenant at all."""
    return db.one("SELECT 1 FROM tenants LIMIT 1") is None
