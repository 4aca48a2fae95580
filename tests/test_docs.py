"""Docs that cannot drift: every command, option and error code is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from larkdesk.cli import main
from larkdesk.errors import WIRE_ERRORS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")
API_DOCS = (ROOT / "docs" / "api.md").read_text("utf-8")


def commands(group: click.Group, prefix: str = "larkdesk") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found.extend(commands(command, path))
        else:
            found.append((path, command))
    return found


@pytest.mark.parametrize(("path", "command"), commands(main), ids=str)
def test_every_command_and_option_is_in_the_readme(path: str, command: click.Command) -> None:
    assert f"`{path}" in README, f"{path} is not documented in README.md"
    row = next(line for line in README.splitlines() if f"`{path}" in line)
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.opts[0] in row, f"{path} {param.opts[0]} is not in its README row"


@pytest.mark.parametrize("error", WIRE_ERRORS, ids=lambda e: e.__name__)
def test_every_error_code_is_documented(error: type) -> None:
    assert f"| {error.code} |" in API_DOCS  # type: ignore[attr-defined]
