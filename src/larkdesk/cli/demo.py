"""`larkdesk demo`: create a tenant, an app, a helpdesk and N realistic tickets."""

from __future__ import annotations

import click

from .. import demo
from .options import cli_store, count_bar, db_option, emit, say


@click.command("demo")
@db_option
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(0, 50_000_000))
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same data.")
def demo_command(db: str, tickets: int, seed: int) -> None:
    """Create a tenant, an app, a helpdesk and N realistic tickets; print the credentials."""
    with cli_store(db) as store, count_bar(transient=True) as bar:
        task = bar.add_task("tickets", total=tickets)
        creds = demo.seed_demo(
            store, tickets=tickets, seed=seed, progress=lambda n: bar.update(task, completed=n)
        )
    say(f"Demo helpdesk {creds.helpdesk_id} with {tickets} tickets in {db}")
    emit(creds.as_dict())
