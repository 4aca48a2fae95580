"""The records of the web console's store reads (`store.console_reads`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """Tickets created on one weekday (0 Monday .. 6 Sunday) and/or in one hour (0..23) of
    the day, UTC: what a cell of the metrics heatmap drills down to; and/or of a guest's
    city, or with a dissatisfaction reason (the by-city chart's and the reasons' drill-downs,
    read from the ticket's JSON: `store.body_filters`)."""

    weekday: int | None = None
    hour: int | None = None
    city: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SortedTicket:
    key: int
    ticket_id: str
    body: bytes
