"""The records of the web console's store reads (`store.console_reads`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """Tickets created on one weekday (0 Monday .. 6 Sunday) and/or in one hour (0..23) of
    the day, UTC: what a cell of the metrics heatmap drills down to."""

    weekday: int | None = None
    hour: int | None = None


@dataclass(frozen=True, slots=True)
class SortedTicket:
    key: int
    ticket_id: str
    body: bytes
