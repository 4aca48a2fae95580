"""`larkdesk user add` and `larkdesk agent add`: the people of a tenant, and which of them
are a helpdesk's agents. One at a time with options, or many as NDJSON (`--ndjson FILE`,
`-` for stdin: one JSON object a line with open_id, name, email, department, city,
country, avatar_url). Prints one JSON object a line per person.
"""

from __future__ import annotations

from typing import TextIO

import click

from ..auth.people import add_users, as_json, ndjson_people, person
from ..auth.user_tokens import issue_user_token
from ..errors import FeishuError
from ..helpdesk.agents.service import Agents
from ..store.base import User
from .options import cli_store, db_option, emit

ndjson_option = click.option(
    "--ndjson",
    type=click.File("r", encoding="utf-8"),
    help="Many people, one JSON object a line ('-': stdin).",
)


@click.group("user")
def user_group() -> None:
    """The people a tenant knows (guests, agents, users with access tokens)."""


@user_group.command("add")
@db_option
@click.option("--app", "app_id", required=True, help="An app of the tenant they join.")
@click.option("--open-id", help="Their open_id (default: a new ou_... id).")
@click.option("--name", help="Their name (required without --ndjson).")
@click.option("--email", help="Their email address.")
@click.option("--department", help="Their department.")
@ndjson_option
def user_add(
    db: str,
    app_id: str,
    open_id: str | None,
    name: str | None,
    email: str | None,
    department: str | None,
    ndjson: TextIO | None,
) -> None:
    """Add (or update) users of the app's tenant; print each as JSON."""
    with cli_store(db) as store:
        app = store.get_app(app_id)
        if app is None:
            raise click.ClickException(f"no app with id {app_id!r}")
        try:
            if ndjson is not None:
                users = list(ndjson_people(ndjson, app.tenant_key))
            else:
                values = {"open_id": open_id, "name": name, "email": email}
                users = [person(app.tenant_key, {**values, "department": department})]
            added = add_users(store, app.tenant_key, users)
        except FeishuError as exc:
            raise click.ClickException(exc.message) from None
    for user in added:
        emit(as_json(user))


@user_group.command("token")
@db_option
@click.option("--app", "app_id", required=True, help="The app the token is for.")
@click.option("--user", "open_id", required=True, help="The user's open_id (of the app's tenant).")
def user_token(db: str, app_id: str, open_id: str) -> None:
    """Issue a user access token (u-..., 7200 s) acting as the user; print it as JSON."""
    with cli_store(db) as store:
        try:
            grant = issue_user_token(store, app_id, open_id)
        except FeishuError as exc:
            raise click.ClickException(exc.message) from None
    emit(
        {
            "user_access_token": grant.user_access_token,
            "token_type": "Bearer",
            "expire": grant.expire,
            "open_id": grant.open_id,
            "app_id": grant.app_id,
        }
    )


@click.group("agent")
def agent_group() -> None:
    """A helpdesk's agents (what start_service appoints, schedules and skills name)."""


@agent_group.command("add")
@db_option
@click.option("--helpdesk", "helpdesk_id", required=True, help="The helpdesk they serve.")
@click.option("--user", "open_ids", multiple=True, help="A known user's open_id (repeatable).")
@ndjson_option
def agent_add(db: str, helpdesk_id: str, open_ids: tuple[str, ...], ndjson: TextIO | None) -> None:
    """Make users agents of the helpdesk (NDJSON lines also create or update the users)."""
    with cli_store(db) as store:
        helpdesk = store.get_helpdesk(helpdesk_id)
        if helpdesk is None:
            raise click.ClickException(f"no helpdesk with id {helpdesk_id!r}")
        try:
            people: list[User] = []
            if ndjson is not None:
                people = add_users(
                    store, helpdesk.tenant_key, ndjson_people(ndjson, helpdesk.tenant_key)
                )
            ids = [*open_ids, *(p.user_id for p in people)]
            if not ids:
                raise click.UsageError("give --user OPEN_ID or --ndjson FILE")
            added = Agents(store).add(helpdesk_id, ids)
        except FeishuError as exc:
            raise click.ClickException(exc.message) from None
        for agent in added:
            user = store.get_user(agent.agent_id)
            shown = as_json(user) if user else {"open_id": agent.agent_id}
            emit({**shown, "status": str(agent.status)})
