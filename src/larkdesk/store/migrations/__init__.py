"""Versioned schema migrations: `NNNN_name.sql` files per backend, applied in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from .. import body_codec, rollups
from ..sql import Sql

# Work a migration needs beyond its SQL script, run right after it in the same transaction.
AFTER: dict[int, Callable[[Sql], object]] = {
    14: rollups.rebuild,  # fill the metrics rollups
    22: body_codec.convert,  # compress the stored ticket bodies (SQLite)
}


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(backend: str) -> list[Migration]:
    """Every migration shipped for `backend` ("sqlite", "postgres"), oldest first."""
    folder = resources.files(__package__).joinpath(backend)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(
                Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8"))
            )
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two {backend} migrations share a version number: {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)


def apply_pending(backend: str, db: Sql, run_script: Callable[[str], object]) -> list[int]:
    """Run each migration of `backend` that `schema_migrations` lacks, oldest first, and
    record it; return the versions applied. The caller holds the transaction."""
    done = {version for (version,) in db.all("SELECT version FROM schema_migrations")}
    applied = []
    for migration in load_migrations(backend):
        if migration.version not in done:
            run_script(migration.sql)
            if migration.version in AFTER:
                AFTER[migration.version](db)
            db.run(
                "INSERT INTO schema_migrations (version, name, applied_at)"
                " VALUES (?, ?, CURRENT_TIMESTAMP)",
                (migration.version, migration.name),
            )
            applied.append(migration.version)
    return applied
