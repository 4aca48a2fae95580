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
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"{prefix} {name} is listed but does not load"
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

    from larkdesk.helpdesk.unserved import NotServedRoute
    from larkdesk.server.app import create_app
    from larkdesk.settings import Settings

    app = create_app(Settings(db=":memory:", rate_limit="off"))
    app.state.services.store.close()
    # An API not served yet is documented in docs/api.md's surface table (test_surface).
    paths = [
        r.path.rstrip("/")
        for r in app.routes
        if isinstance(r, Route) and not isinstance(r, NotServedRoute)
    ]
    named = (p.replace("/tickets/{id}", "/tickets/:ticket_id") for p in paths)
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
    from larkdesk.settings import CONFIG_VARIABLE, REMOTE_VARIABLES

    for key, variable in REMOTE_VARIABLES.items():
        assert f"`{variable}`" in API_DOCS and f"`${variable}`" in README, variable
        assert f"{key} = " in API_DOCS, f"{key} is not in the config file example"
    assert f"`{CONFIG_VARIABLE}`" in API_DOCS


# -- settings: every LARKDESK_* variable read in one place, and documented ------------

SOURCE = ROOT / "src" / "larkdesk"
VARIABLE = re.compile(r"\bLARKDESK_[A-Z0-9_]+\b")
ENVIRONMENT_READ = re.compile(r"os\.environ\.get|os\.environ\[|os\.getenv|getenv\(")
TEST_ONLY = {
    "LARKDESK_TEST_POSTGRES": ("tests/backends.py", "scripts/services"),
    "LARKDESK_TEST_REDIS": ("tests/backends.py", "scripts/services"),
    "LARKDESK_TEST_LIVE": ("tests/wire.py", "tests/conftest.py"),
    "LARKDESK_SERVICES_DIR": ("scripts/services",),
    "LARKDESK_TEST_SCREENSHOTS": ("tests/test_console_browser.py",),
    "LARKDESK_BENCH_DIR": ("bench/run.py", "bench/export.py"),
}


def _declared() -> dict[str, object]:
    from larkdesk.settings import BY_NAME

    return dict(BY_NAME)


def _settings_rows() -> dict[str, str]:
    """README's Settings section: variable -> its table row."""
    section = README.split("## Settings\n", 1)[1].split("\n## ", 1)[0]
    return {
        found[1]: line
        for line in section.splitlines()
        if (found := re.match(r"\| `(LARKDESK_[A-Z0-9_]+)` \|", line))
    }


def _variables_in_source() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for name in VARIABLE.findall(path.read_text("utf-8")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_only_settings_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(ROOT))
        for path in SOURCE.rglob("*.py")
        if ENVIRONMENT_READ.search(path.read_text("utf-8"))
    ]
    assert readers == ["src/larkdesk/settings.py"]


@pytest.mark.parametrize("name", sorted(_variables_in_source()))
def test_every_variable_named_in_the_code_is_a_declared_setting(name: str) -> None:
    assert name in _declared(), f"{name} ({_variables_in_source()[name]}) is not in settings"


@pytest.mark.parametrize("name", sorted(_declared()))
def test_every_setting_is_in_the_readme_with_meaning_and_default(name: str) -> None:
    from larkdesk.settings import BY_NAME

    row = _settings_rows().get(name)
    assert row is not None, f"{name} is not in README.md's Settings section"
    default = BY_NAME[name].default
    assert (f"`{default}`" if default else "unset") in row.split("|")[-2], row


@pytest.mark.parametrize("name", sorted(set(VARIABLE.findall(README + API_DOCS))))
def test_every_documented_variable_exists(name: str) -> None:
    if name in TEST_ONLY:
        assert name in _settings_rows(), f"{name} is not in README.md's testing table"
        assert all(name in (ROOT / where).read_text("utf-8") for where in TEST_ONLY[name])
        return
    assert name in _declared(), f"{name} is documented but larkdesk has no such setting"


def test_a_secret_never_shows_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    from larkdesk import settings

    monkeypatch.setenv("LARKDESK_APP_SECRET", "hunter2")
    secret = settings.read_secret("LARKDESK_APP_SECRET")
    assert secret is not None and str(secret) == "hunter2" and "hunter2" not in repr(secret)
    with pytest.raises(KeyError):
        settings.read("LARKDESK_APP_SECRET")  # a secret is read as one
    with pytest.raises(KeyError):
        settings.read("LARKDESK_NO_SUCH_THING")
