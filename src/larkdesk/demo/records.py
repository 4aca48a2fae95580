"""The demo's tickets as store records; a big demo makes them in a second process.

Generating a ticket and encoding its JSON costs about as much Python as storing it, so
from `PARALLEL_FROM` tickets on a spawned process generates (the same tickets, in the
same order: one random stream) while this one writes, each on its own core.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from itertools import islice
from multiprocessing.connection import Connection

from ..helpdesk.models import to_record
from ..store.base import TicketRecord
from .tickets import generate_tickets
from .world import demo_world

PARALLEL_FROM = 100_000  # below this, starting a process costs more than it saves
BATCH = 10_000  # records per message between the processes


def demo_records(
    seed: int, helpdesk_id: str, tenant_key: str, count: int
) -> Iterator[TicketRecord]:
    """The records of `generate_tickets(seed, helpdesk_id, world, count)`, in order."""
    if count < PARALLEL_FROM:
        yield from _records(seed, helpdesk_id, tenant_key, count)
        return
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_produce, args=(sender, seed, helpdesk_id, tenant_key, count), daemon=True
    )
    process.start()
    sender.close()
    try:
        while batch := pickle.loads(receiver.recv_bytes()):
            if isinstance(batch, str):
                raise RuntimeError(f"the demo's generator process failed: {batch}")
            yield from batch
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()
            process.join()


def _records(seed: int, helpdesk_id: str, tenant_key: str, count: int) -> Iterator[TicketRecord]:
    world = demo_world(seed, tenant_key)
    for ticket in generate_tickets(seed, helpdesk_id, world, count):
        yield to_record(ticket, helpdesk_id)


def _produce(sender: Connection, seed: int, helpdesk_id: str, tenant_key: str, count: int) -> None:
    """In the spawned process: send batches of records, then an empty batch (or an error)."""
    try:
        records = _records(seed, helpdesk_id, tenant_key, count)
        while batch := list(islice(records, BATCH)):
            sender.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
        sender.send_bytes(pickle.dumps([]))
    except (BrokenPipeError, KeyboardInterrupt):  # the writer gave up, or Ctrl-C: it reports
        pass
    except Exception as exc:  # reported to the writer, which raises it
        sender.send_bytes(pickle.dumps(f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()
