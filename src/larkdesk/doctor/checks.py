"""The doctor's checks: each looks at one thing and says what it found, and whether it
needs attention. A check that fails to run (a damaged file, say) needs attention too."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..store.migrations import load_migrations
from .probes import Probe

OK, INFO, ATTENTION = "ok", "info", "attention"
# Due events older than this mean no server is delivering them (or it cannot keep up).
STALE_DUE_S = 300
_CREATED = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.I)
_DROPPED = re.compile(r"DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?(\w+)", re.I)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    level: str  # OK, INFO or ATTENTION
    text: str
    data: dict[str, Any] = field(default_factory=dict)


Check = Callable[[Probe], Iterator[Finding]]


def expected_indexes(backend: str) -> set[str]:
    """Every index the shipped migrations leave in place."""
    names: set[str] = set()
    for migration in load_migrations(backend):
        names |= set(_CREATED.findall(migration.sql))
        names -= set(_DROPPED.findall(migration.sql))
    return names


def check_schema(probe: Probe) -> Iterator[Finding]:
    known = {m.version for m in load_migrations(probe.backend)}
    latest = max(known)
    if "schema_migrations" not in probe.tables():
        text = "not a larkdesk database: no schema_migrations table"
        yield Finding("schema", ATTENTION, text, {"larkdesk": False})
        return
    applied = {int(v) for (v,) in probe.all("SELECT version FROM schema_migrations")}
    version = max(applied, default=0)
    # Migrations apply by number, not in a line: one missing below the newest counts too.
    missing = sorted(known - applied)
    data = {"version": version, "latest": latest, "missing": missing}
    if version > latest or applied - known:
        text = f"version {version}, newer than this larkdesk's {latest}: upgrade larkdesk"
        yield Finding("schema", ATTENTION, text, data)
    elif missing:
        names = ", ".join(f"{v:04d}" for v in missing)
        text = f"migrations {names} not applied (latest {latest}): any command migrates it"
        yield Finding("schema", ATTENTION, text, data)
    else:
        yield Finding("schema", OK, f"version {version}, the latest", data)


def check_integrity(probe: Probe) -> Iterator[Finding]:
    problems = probe.integrity()
    if problems is None:
        return
    if problems:
        text = "PRAGMA integrity_check: " + "; ".join(problems[:5])
        yield Finding("integrity", ATTENTION, text, {"problems": problems})
    else:
        yield Finding("integrity", OK, "PRAGMA integrity_check: ok")


def check_indexes(probe: Probe) -> Iterator[Finding]:
    expected = expected_indexes(probe.backend)
    missing = sorted(expected - probe.indexes())
    if missing:
        text = f"{len(missing)} of {len(expected)} missing: {', '.join(missing)}"
        yield Finding("indexes", ATTENTION, text, {"missing": missing})
    else:
        yield Finding("indexes", OK, f"all {len(expected)} present", {"missing": []})


def check_size(probe: Probe) -> Iterator[Finding]:
    sizes = probe.size()
    parts = ", ".join(f"{name} {_mib(size)}" for name, size in sizes.items())
    yield Finding("size", INFO, f"{_mib(sum(sizes.values()))} ({parts})", {"bytes": sizes})


_COUNTED = "SELECT helpdesk_id, count(*) FROM tickets GROUP BY helpdesk_id"
# SQLite since 0025: the tickets hold their helpdesk's key (store/helpdesk_keys.py).
_COUNTED_KEYED = (
    "SELECT k.helpdesk_id, c.n FROM (SELECT helpdesk_id, count(*) AS n FROM tickets"
    " GROUP BY helpdesk_id) c JOIN helpdesk_keys k ON k.key = c.helpdesk_id"
)


def _keyed(probe: Probe) -> bool:
    return probe.backend == "sqlite" and "helpdesk_keys" in probe.tables()


def check_tickets(probe: Probe) -> Iterator[Finding]:
    kept = {
        row[0]: (row[1], int(row[2]))
        for row in probe.all(
            "SELECT h.helpdesk_id, h.name, coalesce(c.tickets, 0) FROM helpdesks h"
            " LEFT JOIN helpdesk_ticket_counts c ON c.helpdesk_id = h.helpdesk_id"
            " ORDER BY h.helpdesk_id"
        )
    }
    counted = dict(probe.all(_COUNTED_KEYED if _keyed(probe) else _COUNTED))
    if not kept:
        yield Finding("tickets", INFO, "no helpdesk yet", {"helpdesks": {}})
    for helpdesk_id, (name, count) in kept.items():
        real = int(counted.get(helpdesk_id, 0))
        data = {"helpdesk_id": helpdesk_id, "name": name, "tickets": real}
        if real != count:
            text = (
                f"helpdesk {helpdesk_id} ({name}): {real} tickets, but its kept count says {count}"
            )
            yield Finding("tickets", ATTENTION, text, {**data, "kept_count": count})
        else:
            yield Finding("tickets", INFO, f"helpdesk {helpdesk_id} ({name}): {real} tickets", data)


def check_outbox(probe: Probe) -> Iterator[Finding]:
    if "event_outbox" not in probe.tables():
        return
    now_ms = int(time.time() * 1000)
    states = dict(probe.all("SELECT state, count(*) FROM event_outbox GROUP BY state"))
    due_rows = probe.all(
        "SELECT count(*), min(due_at) FROM event_outbox WHERE state = 'pending' AND due_at <= ?",
        (now_ms,),
    )
    due, oldest = int(due_rows[0][0]), due_rows[0][1]
    waited = 0 if oldest is None else max(0, (now_ms - int(oldest)) // 1000)
    failed, pending = int(states.get("failed", 0)), int(states.get("pending", 0))
    data = {"pending": pending, "due": due, "oldest_due_s": waited, "failed": failed}
    text = f"{pending} waiting, {due} due now, {failed} given up"
    if failed:
        yield Finding("outbox", ATTENTION, f"{text}: see `larkdesk events log --failed`", data)
    elif due and waited > STALE_DUE_S:
        text += f"; the oldest due {waited} s ago: is a server delivering them?"
        yield Finding("outbox", ATTENTION, text, data)
    else:
        yield Finding("outbox", OK, text, data)


CHECKS: tuple[tuple[str, Check], ...] = (
    ("schema", check_schema),
    ("integrity", check_integrity),
    ("indexes", check_indexes),
    ("size", check_size),
    ("tickets", check_tickets),
    ("outbox", check_outbox),
)


def examine(probe: Probe) -> list[Finding]:
    """Every check's findings; one that cannot run is a finding needing attention. After a
    schema that is not larkdesk's, the other checks have nothing to look at."""
    findings: list[Finding] = []
    for name, check in CHECKS:
        try:
            findings.extend(check(probe))
        except Exception as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            findings.append(Finding(name, ATTENTION, f"could not check: {reason}"))
        if findings and findings[-1].data.get("larkdesk") is False:
            break
    return findings


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
