"""`larkdesk doctor`: check a database and say what needs attention (exit status 1 if any)."""

from __future__ import annotations

import json
import sys

import click

from ..doctor.checks import ATTENTION, Finding, examine
from ..doctor.probes import DoctorError, open_probe
from .options import db_option, location_of


@click.command("doctor")
@db_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the report.")
def doctor_command(db: str, as_json: bool) -> None:
    """Check a database (read-only): schema version, integrity, indexes, size, tickets per
    helpdesk, event outbox backlog. Exits 1 when something needs attention."""
    try:
        probe = open_probe(location_of(db))
    except DoctorError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        findings = examine(probe)
    finally:
        probe.close()
    attention = [f for f in findings if f.level == ATTENTION]
    if as_json:
        click.echo(json.dumps(_as_json(probe.name, probe.backend, findings), ensure_ascii=False))
    else:
        click.echo(_report(probe.name, probe.backend, findings, attention))
    sys.exit(1 if attention else 0)


def _report(name: str, backend: str, findings: list[Finding], attention: list[Finding]) -> str:
    lines = [f"larkdesk doctor: {backend} {name}"]
    lines += [f"  {f.level:<10} {f.check:<10} {f.text}" for f in findings]
    if attention:
        lines.append(f"{len(attention)} finding(s) need attention:")
        lines += [f"  - {f.check}: {f.text}" for f in attention]
    else:
        lines.append("nothing needs attention")
    return "\n".join(lines)


def _as_json(name: str, backend: str, findings: list[Finding]) -> dict[str, object]:
    return {
        "database": name,
        "backend": backend,
        "attention": sum(f.level == ATTENTION for f in findings),
        "findings": [
            {"check": f.check, "level": f.level, "text": f.text, **f.data} for f in findings
        ],
    }
