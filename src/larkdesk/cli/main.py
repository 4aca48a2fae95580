"""The `larkdesk` command: the click group and the commands it holds, one module each.

Machine-readable results (credentials) go to stdout as one JSON object; everything
meant for people goes to stderr.
"""

from __future__ import annotations

import importlib
import logging

import click

from .. import __version__

# Each command's module and object, loaded only when that command runs (or help lists it):
# `larkdesk ticket say` need not import the server, the demo and the console first.
COMMANDS = {
    "serve": "serve:serve",
    "demo": "demo:demo_command",
    "app": "apps:app_group",
    "helpdesk": "helpdesks:helpdesk_group",
    "import": "imports:import_command",
    "migrate": "migrate:migrate_command",
    "ticket": "tickets:ticket_group",
    "events": "events:events_group",
    "field": "fields:field_group",
    "export": "export:export_command",
    "sync": "sync:sync_command",
    "console": "console:console_group",
    "doctor": "doctor:doctor_command",
    "user": "people:user_group",
    "agent": "people:agent_group",
    "notification": "notifications:notification_group",
    "metrics": "metrics:metrics_group",
}
# Subcommands kept in a module of their own: (group, its module:object).
SUBCOMMANDS = {"ticket": "say:say_command", "app": "events:app_events"}


def _load(spec: str) -> click.Command:
    module, _, name = spec.partition(":")
    command = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    assert isinstance(command, click.Command), spec
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's "lazy loading")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            command = _load(COMMANDS[cmd_name])
            if cmd_name in SUBCOMMANDS and isinstance(command, click.Group):
                sub = _load(SUBCOMMANDS[cmd_name])
                command.add_command(sub)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="larkdesk")
def main() -> None:
    """larkdesk: a Feishu (Lark) Helpdesk-compatible ticket service you run yourself."""


logging.getLogger("larkdesk").addHandler(logging.NullHandler())
