"""Docs that cannot drift: every command, option and error code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from larkdesk.cli.main import main
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


def _api_paths() -> list[str]:
    from starlette.routing import Route

    from larkdesk.server.app import create_app
    from larkdesk.settings import Settings

    app = create_app(Settings(db=":memory:", rate_limit="off"))
    app.state.services.store.close()
    paths = [r.path.rstrip("/") for r in app.routes if isinstance(r, Route)]
    named = (p.replace("{id}", ":ticket_id") for p in paths)
    return sorted({re.sub(r"\{(\w+)\}", r":\1", p) for p in named})


@pytest.mark.parametrize("path", _api_paths())
def test_every_api_path_is_in_the_readme_and_the_api_docs(path: str) -> None:
    assert f" {path}`" in README, f"{path} is not in README.md's API table"
    if path.startswith("/open-apis/helpdesk/"):
        assert path in API_DOCS, f"{path} has no section in docs/api.md"


def _client_errors() -> list[str]:
    from larkdesk.client import errors

    return sorted(
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.ClientError)
    )


@pytest.mark.parametrize("name", _client_errors())
def test_every_client_error_is_in_its_docstring_tree_and_the_api_docs(name: str) -> None:
    from larkdesk.client import errors

    assert name in (errors.__doc__ or ""), f"{name} is missing from the exception tree"
    assert f"`{name}`" in API_DOCS, f"{name} is not named in docs/api.md"


def test_every_export_and_sync_setting_is_documented() -> None:
    from larkdesk.transfer.remote import CONFIG_ENV, ENV

    for key, variable in ENV.items():
        assert f"`{variable}`" in API_DOCS and f"`${variable}`" in README, variable
        assert f"{key} = " in API_DOCS, f"{key} is not in the config file example"
    assert f"`{CONFIG_ENV}`" in API_DOCS
