"""`--db` / `LARKDESK_DB` parsed once, strictly (larkdesk.store.location)."""

from __future__ import annotations

from pathlib import Path

import pytest

from larkdesk.store import (
    InvalidLocation,
    PostgresLocation,
    SqliteLocation,
    StoreUnavailable,
    open_store,
    parse_location,
)

from .conftest import larkdesk


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("larkdesk.db", SqliteLocation("larkdesk.db")),
        ("/var/lib/larkdesk/larkdesk.db", SqliteLocation("/var/lib/larkdesk/larkdesk.db")),
        ("sqlite:data/larkdesk.db", SqliteLocation("data/larkdesk.db")),
        ("./odd:name.db", SqliteLocation("./odd:name.db")),
        ("sqlite:odd:name.db", SqliteLocation("odd:name.db")),
        ("C:\\data\\larkdesk.db", SqliteLocation("C:\\data\\larkdesk.db")),
        (":memory:", SqliteLocation(":memory:")),
        ("postgresql://u@h:5432/db", PostgresLocation("postgresql://u@h:5432/db")),
        ("postgres://h/db", PostgresLocation("postgres://h/db")),
        ("postgresql+psycopg://u:pw@h/db", PostgresLocation("postgresql://u:pw@h/db")),
        (
            "postgresql+psycopg2://h/db?sslmode=require",
            PostgresLocation("postgresql://h/db?sslmode=require"),
        ),
    ],
)
def test_every_accepted_form_parses(text: str, expected: object) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "mysql://x",
        "http://example.com/db",
        "postgresql:foo",
        "postgresql:/postgres@h/db",
        "",
        "sqlite:",
    ],
)
def test_anything_else_is_an_error_naming_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidLocation, match=r"postgresql\+psycopg://"):
        parse_location(text)


def test_a_password_shows_nowhere() -> None:
    location = parse_location("postgresql://u:hunter2@h/db?password=hunter2&sslmode=require")
    assert "hunter2" not in repr(location) and "hunter2" not in str(location)
    assert location.redacted() == "postgresql://u@h/db?sslmode=require"
    with pytest.raises(InvalidLocation) as refused:
        parse_location("postgresql:/u:hunter2@h/db")
    assert "hunter2" not in str(refused.value)


def test_a_missing_folder_is_an_error_naming_it_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(StoreUnavailable, match=f"there is no folder {missing}"):
        open_store(str(missing / "larkdesk.db"))
    assert not (tmp_path / "no").exists()


def test_memory_and_a_relative_file_open(tmp_path: Path) -> None:
    open_store(":memory:").close()
    open_store("sqlite:here.db").close()
    assert (tmp_path / "here.db").is_file()  # the test's own directory


@pytest.mark.parametrize(
    ("db", "words"),
    [
        ("mysql://u:hunter2@h/x", "cannot open mysql: databases"),
        ("postgresql:/postgres@127.0.0.1/postgres", "needs // after postgresql:"),
        ("no/such/folder/larkdesk.db", "there is no folder no/such/folder"),
    ],
)
@pytest.mark.parametrize(
    "command", [("app", "create", "--name", "x"), ("serve", "--port", "0"), ("demo",)]
)
def test_the_cli_refuses_a_bad_db_in_one_line(
    db: str, words: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    failed = larkdesk(*command, db=db, check=False)
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1, failed.stderr
    assert words in failed.stderr and "hunter2" not in failed.stderr
    assert list(tmp_path.iterdir()) == []  # no folder, no file


def test_export_and_migrate_refuse_a_bad_location_in_one_line(tmp_path: Path) -> None:
    export = larkdesk("export", "--out", "x.ndjson", "--helpdesk", "1", db="mysql://x", check=False)
    assert export.returncode == 1 and "--db: 'mysql://x'" in export.stderr, export.stderr
    migrate = larkdesk("migrate", "--to", "postgresql://h/x", db="larkdesk.db", check=False)
    assert migrate.returncode == 1 and "--from must name an existing SQLite file" in migrate.stderr
    migrate = larkdesk("migrate", "--to", "http://x", db="larkdesk.db", check=False)
    assert migrate.returncode == 1 and "--to: 'http://x'" in migrate.stderr, migrate.stderr
