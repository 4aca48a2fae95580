"""The fields of a stored ticket that the console's metrics read, and how they are read:
once for the rollups kept on every write (`store.rollups`) and once for the page's scan,
the test oracle (`console.metrics`), so both read a ticket alike.

Typed loosely (`Any`): a kept ticket may hold Feishu's odd shapes (0 or -1 for a time that
never came, `dissatisfaction_reason` as a list), read leniently below; anything else in
the body is skipped unread.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec


class Facts(msgspec.Struct):
    created_at: Any = 0
    status: Any = None
    ticket_type: Any = None
    score: Any = None
    channel: Any = None
    closed_at: Any = None
    agent_entry_time: Any = None
    agent_first_response_time: Any = None
    guest: Any = None
    agent_owner: Any = None
    agents: Any = None
    tags: Any = None
    dissatisfaction_reason: Any = None


decode_facts = msgspec.json.Decoder(Facts).decode


def as_int(value: Any, default: Any = 0) -> Any:
    """`value` if it is an integer (not a bool), else `default`."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


MAX_TIME = 2**63 - 1  # what a BIGINT holds; a later "time" in a kept ticket reads as none


def as_time(value: Any) -> int | None:
    """A time in ms; Feishu's 0 or -1 for "never" is None, and so is a number no BIGINT
    holds (an imported ticket is kept as sent; its metrics only read real times)."""
    number = as_int(value, None)
    return number if number is not None and 0 < number <= MAX_TIME else None


def member(value: Any, key: str) -> str:
    """`value[key]` if `value` is an object and that a string, else ""."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, str) else ""


def first_reason(value: Any) -> str:
    """The dissatisfaction reason: the first of a list, its `en_us` text, else `zh_cn`."""
    if isinstance(value, list):
        value = value[0] if value else None
    return member(value, "en_us") or member(value, "zh_cn")


def span(start: int | None, end: int | None) -> int | None:
    """`end - start`, if both are known and in order."""
    if start is None or end is None or end < start:
        return None
    return end - start


class Plain(NamedTuple):
    """A ticket's metric facts as read (`plain`): what `rollups.Deltas.add_plain` sums.
    An import's workers make these straight from a typed decode (`helpdesk.stored`)."""

    created_at: int
    status: int  # 0 for none
    ticket_type: int  # 0 for none
    score: int  # 0 for none
    channel: int | None
    reason: str
    tags: list[str]  # each tag's name, as listed (a repeated name counts twice)
    city: str
    agent: str  # the owner's id, else the first agent's; "" for none
    agent_name: str  # that agent's name, else its id
    entry: int | None  # agent_entry_time
    first_response: int | None
    closed_at: int | None


def plain(t: Facts) -> Plain:
    owner, agents, tags = t.agent_owner, t.agents, t.tags
    if not member(owner, "id") and isinstance(agents, list) and agents:
        owner = agents[0]
    agent = member(owner, "id")
    return Plain(  # its fields in order (positional: every ticket write reads these)
        as_int(t.created_at),
        as_int(t.status),
        as_int(t.ticket_type),
        as_int(t.score),
        as_int(t.channel, None),
        first_reason(t.dissatisfaction_reason),
        [name for tag in tags if (name := member(tag, "name"))] if isinstance(tags, list) else [],
        member(t.guest, "city"),
        agent,
        member(owner, "name") or agent,
        as_time(t.agent_entry_time),
        as_time(t.agent_first_response_time),
        as_time(t.closed_at),
    )
