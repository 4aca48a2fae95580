"""Provisioning: tenants, apps and helpdesks with their credentials, as the CLI, the demo
and `sync` create them.

The plain secrets exist only in the returned credentials; the store keeps hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..store.base import App, Helpdesk, Store, Tenant
from .credentials import (
    hash_secret,
    new_app_id,
    new_app_secret,
    new_helpdesk_id,
    new_helpdesk_token,
    new_tenant_key,
)

DEFAULT_SCOPES = ("helpdesk:all",)


class ProvisionError(Exception):
    """A provisioning request that cannot be carried out; the message says why."""


@dataclass(frozen=True, slots=True)
class AppCredentials:
    app_id: str
    app_secret: str
    tenant_key: str


@dataclass(frozen=True, slots=True)
class HelpdeskCredentials:
    helpdesk_id: str
    helpdesk_token: str


def ensure_tenant(store: Store, tenant_key: str, name: str) -> Tenant:
    """The tenant with this key, created if it does not exist yet."""
    tenant = store.get_tenant(tenant_key)
    if tenant is None:
        tenant = Tenant(tenant_key, name)
        store.create_tenant(tenant)
    return tenant


def create_app(
    store: Store,
    name: str,
    tenant_key: str | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    app_id: str | None = None,
    app_secret: str | None = None,
) -> AppCredentials:
    """A new self-built app, in a new tenant unless `tenant_key` names an existing one."""
    if tenant_key is None:
        tenant = ensure_tenant(store, new_tenant_key(), f"{name} tenant")
    else:
        found = store.get_tenant(tenant_key)
        if found is None:
            raise ProvisionError(f"no tenant with key {tenant_key!r}")
        tenant = found
    app_id = app_id or new_app_id()
    app_secret = app_secret or new_app_secret()
    if store.get_app(app_id) is None:
        store.create_app(
            App(app_id, tenant.tenant_key, name, hash_secret(app_secret), tuple(scopes))
        )
    return AppCredentials(app_id, app_secret, tenant.tenant_key)


def create_helpdesk(
    store: Store,
    app_id: str,
    name: str,
    helpdesk_id: str | None = None,
    helpdesk_token: str | None = None,
) -> HelpdeskCredentials:
    """A new helpdesk in the tenant of `app_id`."""
    app = store.get_app(app_id)
    if app is None:
        raise ProvisionError(f"no app with id {app_id!r}")
    helpdesk_id = helpdesk_id or new_helpdesk_id()
    helpdesk_token = helpdesk_token or new_helpdesk_token()
    if store.get_helpdesk(helpdesk_id) is None:
        store.create_helpdesk(
            Helpdesk(helpdesk_id, app.tenant_key, name, hash_secret(helpdesk_token))
        )
    return HelpdeskCredentials(helpdesk_id, helpdesk_token)
