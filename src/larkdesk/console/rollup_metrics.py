"""The Metrics page's numbers from the rollups kept as tickets change (`store.rollups`),
never the tickets: the same `Metrics` the scan (`console.metrics`) builds, with the
percentiles taken from merged value -> count histograms (exact: the same nearest rank
over the same values). The tests compare the two, number for number."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..store.base import Store
from .metrics import AgentRow, Metrics

EPOCH = dt.date(1970, 1, 1)


@dataclass
class Histogram:
    """Values with their counts, in increasing value order."""

    values: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def add(self, value: int, n: int) -> None:
        if self.values and self.values[-1] == value:
            self.counts[-1] += n
        else:
            self.values.append(value)
            self.counts.append(n)

    def percentile(self, share: float) -> int | None:
        """The nearest-rank percentile, as `metrics.percentile` over the values."""
        total = sum(self.counts)
        if total <= 0:
            return None
        rank, seen = max(1, math.ceil(share * total)), 0
        for value, n in zip(self.values, self.counts, strict=True):
            seen += n
            if seen >= rank:
                return value
        return self.values[-1]


@dataclass
class RollupAgentRow(AgentRow):
    frt_hist: Histogram = field(default_factory=Histogram)
    res_hist: Histogram = field(default_factory=Histogram)

    @property
    def frt_median(self) -> int | None:
        return self.frt_hist.percentile(0.5)

    @property
    def resolution_median(self) -> int | None:
        return self.res_hist.percentile(0.5)


@dataclass
class RollupMetrics(Metrics):
    frt_hist: Histogram = field(default_factory=Histogram)
    res_hist: Histogram = field(default_factory=Histogram)

    def frt(self, share: float) -> int | None:
        return self.frt_hist.percentile(share)

    def resolution(self, share: float) -> int | None:
        return self.res_hist.percentile(share)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def rollup_metrics(store: Store, helpdesk_id: str, start: dt.date, end: dt.date) -> Metrics:
    """The metrics of the helpdesk's tickets created from `start` to `end` (UTC days)."""
    rows = store.metric_rollups(helpdesk_id, day_number(start), day_number(end))
    m = RollupMetrics(start, end)
    agents: dict[str, RollupAgentRow] = {}

    def agent(agent_id: str) -> RollupAgentRow:
        found = agents.get(agent_id)
        if found is None:
            name = rows.names.get(agent_id) or agent_id
            found = agents[agent_id] = RollupAgentRow(agent_id, name)
        return found

    simple: dict[str, tuple[Counter[Any], Callable[[str], Any]]] = {
        "score": (m.scores, int),
        "reason": (m.reasons, str),
        "tag": (m.tags, str),
        "channel": (m.channels, int),
        "city": (m.cities, str),
    }
    for day, dim, key, n in rows.counts:
        date = EPOCH + dt.timedelta(days=day)
        if dim in simple:
            counter, convert = simple[dim]
            counter[convert(key)] += n
        elif dim == "created":
            m.created += n
            m.daily_created[date.isoformat()] += n
        elif dim == "ended":
            m.ended += n
        elif dim == "bot_ended":
            m.bot_ended += n
            m.daily_bot_ended[date.isoformat()] += n
        elif dim == "hour":
            m.heat[(date.weekday(), int(key))] += n
        elif dim == "agent":
            agent(key).tickets += n
        elif dim == "agent_score":
            score, _, agent_id = key.partition(":")
            agent(agent_id).scores[int(score)] += n
    for kind, agent_id, value, n in rows.durations:  # in value order
        overall = m.frt_hist if kind == "frt" else m.res_hist
        overall.add(value, n)
        if agent_id:
            row = agent(agent_id)
            (row.frt_hist if kind == "frt" else row.res_hist).add(value, n)
    m.agents = {a: row for a, row in agents.items() if row.tickets}
    return m
