"""The `larkdesk` command: the click group and the commands it holds, one module each.

Machine-readable results (credentials) go to stdout as one JSON object; everything
meant for people goes to stderr.
"""

from __future__ import annotations

import logging

import click

from .. import __version__
from .apps import app_group
from .console import console_group
from .demo import demo_command
from .doctor import doctor_command
from .events import app_events, events_group
from .export import export_command
from .fields import field_group
from .helpdesks import helpdesk_group
from .imports import import_command
from .metrics import metrics_group
from .migrate import migrate_command
from .notifications import notification_group
from .people import agent_group, user_group
from .say import say_command
from .serve import serve
from .sync import sync_command
from .tickets import ticket_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="larkdesk")
def main() -> None:
    """larkdesk: a Feishu (Lark) Helpdesk-compatible ticket service you run yourself."""


ticket_group.add_command(say_command)
app_group.add_command(app_events)
for command in (
    serve,
    demo_command,
    app_group,
    helpdesk_group,
    import_command,
    migrate_command,
    ticket_group,
    events_group,
    field_group,
    export_command,
    sync_command,
    console_group,
    doctor_command,
    user_group,
    agent_group,
    notification_group,
    metrics_group,
):
    main.add_command(command)

logging.getLogger("larkdesk").addHandler(logging.NullHandler())
