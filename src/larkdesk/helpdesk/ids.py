"""Clocks and ids shared by the helpdesk resources."""

from __future__ import annotations

import hashlib
import secrets
import time


def now_ms() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def snowflake(at_ms: int) -> int:
    """A 19-digit id like Feishu's: the millisecond in the high bits, 22 random low bits."""
    return at_ms << 22 | secrets.randbits(22)


def chat_id_of(helpdesk_id: str, ticket_id: str) -> str:
    """The `oc_` id of a ticket's service chat, as Feishu gives one per ticket: derived
    from the ticket rather than stored, so start_service's answer and every event of the
    ticket (created, updated, message) carry the same id, imported tickets included."""
    digest = hashlib.blake2b(f"{helpdesk_id}/{ticket_id}".encode(), digest_size=16)
    return "oc_" + digest.hexdigest()
