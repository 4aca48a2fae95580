"""The people a tenant knows (`larkdesk user add`), one at a time or as NDJSON: what
`start_service`, agents and user access tokens need to exist first."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import fields

from ..errors import BadRequest, ResourceNotFound
from ..store.base import Store, User

PERSON_FIELDS = ("open_id", "name", "email", "department", "city", "country", "avatar_url")
MAX_FIELD = 256


def new_open_id() -> str:
    return "ou_" + secrets.token_hex(16)


def person(tenant_key: str, values: dict[str, object], where: str = "") -> User:
    """A user of the tenant from `values` (`open_id` optional: a new one is made)."""
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise BadRequest(f"{where}unknown keys {sorted(unknown)}; known: {PERSON_FIELDS}")
    texts: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_FIELD or "\x00" in value:
            raise BadRequest(f"{where}{key} must be text of at most {MAX_FIELD} characters")
        texts[key] = value.strip()
    if not texts.get("name"):
        raise BadRequest(f"{where}name is required")
    open_id = texts.pop("open_id", "") or new_open_id()
    known = {f.name for f in fields(User)}
    details = {k: v for k, v in texts.items() if k in known}
    return User(user_id=open_id, tenant_key=tenant_key, **details)


def add_users(store: Store, tenant_key: str, users: Iterable[User]) -> list[User]:
    """Create or update the users in the tenant; an open id of another tenant is refused."""
    if store.get_tenant(tenant_key) is None:
        raise ResourceNotFound(f"no tenant with key {tenant_key!r}")
    chosen = list({u.user_id: u for u in users}.values())
    for user in chosen:
        found = store.get_user(user.user_id)
        if found is not None and found.tenant_key != tenant_key:
            raise BadRequest(f"open_id {user.user_id!r} belongs to another tenant")
    store.upsert_users(chosen)
    return chosen


def ndjson_people(lines: Iterable[str], tenant_key: str) -> Iterator[User]:
    """One user per non-blank line of JSON objects; errors name the line."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(values, dict):
            raise BadRequest(f"line {number}: expected a JSON object")
        yield person(tenant_key, values, f"line {number}: ")


def as_json(user: User) -> dict[str, str]:
    """A user as the commands print it."""
    return {
        "open_id": user.user_id,
        "name": user.name,
        **{k: getattr(user, k) for k in PERSON_FIELDS[2:] if getattr(user, k)},
    }
