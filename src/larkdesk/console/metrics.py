"""Feishu-style service metrics of a helpdesk over a period, from its tickets created in
the period (read page by page through the store's keyset scan).

Definitions (Feishu's "工单趋势" where it has one; docs in README "The console"):
- created: tickets created in the period; ended: those now closed (status 50/51/52);
- resolution rate = ended / created; bot interception rate = ended bot tickets / created
  (a bot ticket counts only for its creation day in the daily trend, as Feishu's);
- first response = agent_first_response_time - agent_entry_time, resolution time =
  closed_at - agent_entry_time: both from the agent's entry, so bot time is excluded;
  shown as median and p90 (nearest rank), never only the mean;
- satisfaction: scores 1/2/3 and the dissatisfaction reasons given.
Times are UTC. This is the scan over the period's tickets: the page reads the rollups kept
as tickets change instead (`console.rollup_metrics`, docs/metrics.md), and the tests
compare the two, number for number.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..helpdesk.models import CLOSED_STATUSES
from ..store.base import Store, TicketQuery, Window
from ..store.ticket_facts import Facts
from ..store.ticket_facts import as_int as _int
from ..store.ticket_facts import as_time as _time
from ..store.ticket_facts import decode_facts as _facts
from ..store.ticket_facts import first_reason as _reason
from ..store.ticket_facts import member as _member
from ..store.ticket_facts import span as _span

BOT_TYPE = 1
SCAN_PAGE = 5000
DAY_MS = 86_400_000


def percentile(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile of `values` (None for none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class AgentRow:
    agent_id: str
    name: str
    tickets: int = 0
    first_responses: list[int] = field(default_factory=list)
    resolutions: list[int] = field(default_factory=list)
    scores: Counter[int] = field(default_factory=Counter)

    @property
    def frt_median(self) -> int | None:
        return percentile(self.first_responses, 0.5)

    @property
    def resolution_median(self) -> int | None:
        return percentile(self.resolutions, 0.5)

    @property
    def satisfied_share(self) -> float | None:
        rated = sum(self.scores.values())
        return None if not rated else self.scores[3] / rated


@dataclass
class Metrics:
    start: dt.date
    end: dt.date
    created: int = 0
    ended: int = 0
    bot_ended: int = 0
    first_responses: list[int] = field(default_factory=list)
    resolutions: list[int] = field(default_factory=list)
    scores: Counter[int] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    daily_created: Counter[str] = field(default_factory=Counter)
    daily_bot_ended: Counter[str] = field(default_factory=Counter)
    heat: Counter[tuple[int, int]] = field(default_factory=Counter)  # (weekday, hour)
    tags: Counter[str] = field(default_factory=Counter)
    channels: Counter[int] = field(default_factory=Counter)
    cities: Counter[str] = field(default_factory=Counter)
    agents: dict[str, AgentRow] = field(default_factory=dict)

    def frt(self, share: float) -> int | None:
        """The `share` percentile of first-response times."""
        return percentile(self.first_responses, share)

    def resolution(self, share: float) -> int | None:
        """The `share` percentile of resolution times."""
        return percentile(self.resolutions, share)

    @property
    def resolution_rate(self) -> float | None:
        return self.ended / self.created if self.created else None

    @property
    def bot_rate(self) -> float | None:
        return self.bot_ended / self.created if self.created else None

    def days(self) -> list[str]:
        count = (self.end - self.start).days + 1
        return [(self.start + dt.timedelta(days=n)).isoformat() for n in range(count)]

    @property
    def busiest_weekday(self) -> int | None:
        by_day: Counter[int] = Counter()
        for (weekday, _), n in self.heat.items():
            by_day[weekday] += n
        return _busiest(by_day)

    @property
    def busiest_hour(self) -> int | None:
        by_hour: Counter[int] = Counter()
        for (_, hour), n in self.heat.items():
            by_hour[hour] += n
        return _busiest(by_hour)

    def add(self, ticket: Facts) -> None:
        """Count one ticket created in the period."""
        created = dt.datetime.fromtimestamp(_int(ticket.created_at) / 1000, tz=dt.UTC)
        day = created.date().isoformat()
        self.created += 1
        self.daily_created[day] += 1
        self.heat[(created.weekday(), created.hour)] += 1
        ended = _int(ticket.status) in CLOSED_STATUSES
        if ended:
            self.ended += 1
            if _int(ticket.ticket_type) == BOT_TYPE:
                self.bot_ended += 1
                self.daily_bot_ended[day] += 1
        entry = _time(ticket.agent_entry_time)
        frt = _span(entry, _time(ticket.agent_first_response_time))
        resolution = _span(entry, _time(ticket.closed_at) if ended else None)
        if frt is not None:
            self.first_responses.append(frt)
        if resolution is not None:
            self.resolutions.append(resolution)
        score = _int(ticket.score)
        if score in (1, 2, 3):
            self.scores[score] += 1
        reason = _reason(ticket.dissatisfaction_reason)
        if reason:
            self.reasons[reason] += 1
        for tag in ticket.tags if isinstance(ticket.tags, list) else ():
            name = _member(tag, "name")
            if name:
                self.tags[name] += 1
        channel = _int(ticket.channel, None)
        if channel is not None:
            self.channels[channel] += 1
        city = _member(ticket.guest, "city")
        if city:
            self.cities[city] += 1
        self._add_agent(ticket, score, frt, resolution)

    def _add_agent(
        self, ticket: Facts, score: int, frt: int | None, resolution: int | None
    ) -> None:
        owner = ticket.agent_owner
        if not _member(owner, "id") and isinstance(ticket.agents, list) and ticket.agents:
            owner = ticket.agents[0]
        agent_id = _member(owner, "id")
        if not agent_id:
            return
        name = _member(owner, "name") or agent_id
        row = self.agents.setdefault(agent_id, AgentRow(agent_id, name))
        row.tickets += 1
        if frt is not None:
            row.first_responses.append(frt)
        if resolution is not None:
            row.resolutions.append(resolution)
        if score in (1, 2, 3):
            row.scores[score] += 1


def _busiest(counts: Counter[int]) -> int | None:
    """The key with the most tickets; of equals, the first (so ties read the same in
    any order the counts were made)."""
    return max(counts, key=lambda k: (counts[k], -k)) if counts else None


def period_window(start: dt.date, end: dt.date) -> Window:
    begin = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp() * 1000)
    last = int(dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC).timestamp() * 1000)
    return Window(begin, last + DAY_MS - 1)


def tickets_in(store: Store, helpdesk_id: str, window: Window) -> Iterator[Facts]:
    """Every ticket of the helpdesk created in `window`, by keyset pages."""
    query = TicketQuery(created=window)
    after: tuple[int, str] | None = None
    while True:
        rows = store.scan_tickets(helpdesk_id, query, after, SCAN_PAGE)
        for row in rows:
            yield _facts(row.body)
        if len(rows) < SCAN_PAGE:
            return
        after = (rows[-1].created_at, rows[-1].ticket_id)


def measure(tickets: Iterable[Facts], start: dt.date, end: dt.date) -> Metrics:
    metrics = Metrics(start, end)
    for ticket in tickets:
        metrics.add(ticket)
    return metrics


def helpdesk_metrics(store: Store, helpdesk_id: str, start: dt.date, end: dt.date) -> Metrics:
    """The metrics of the helpdesk's tickets created from `start` to `end` (UTC days)."""
    return measure(tickets_in(store, helpdesk_id, period_window(start, end)), start, end)
