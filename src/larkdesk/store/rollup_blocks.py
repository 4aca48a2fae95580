"""The rollups of a block of tickets that a bulk load adds (`sqlite_bulk.rows`): the
rows `rollups.Deltas.add_plain` (each ticket added, +1) then `Deltas.sqlite_rows` would
give, built with less work per ticket.

`Deltas` keeps one counter per row key, `(helpdesk_id, day, dim, key)`, and adds to it
a dozen times a ticket; each add builds and hashes that tuple, and a new key calls
`Counter.__missing__` in Python, then all rows are sorted as tuples. Here a ticket finds
its day once (a block's tickets span a few days) and appends each key, a text, to its
day's list of that dimension; the lists are counted once per block in C (`Counter(list)`),
and the rows come out in key order by walking helpdesks, days, dimensions and then the
sorted texts. The rows, their order and their sums are those of `Deltas`
(tests/test_import_rows.py compares both).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from .rollups import BOT_TYPE, CLOSED, DAY_MS, HOUR_MS, SqliteRows
from .ticket_facts import Plain

_SCORES = {1: "1", 2: "2", 3: "3"}
_HOURS = [str(h) for h in range(24)]
# `metric_counts.dim` of the per-text lists below, each with its `_Day` attribute
_TEXT_DIMS = ("agent", "agent_score", "channel", "city", "reason", "score", "tag")


class _Day:
    """What one day's tickets of one helpdesk add."""

    __slots__ = ("hours", "ended", "bot_ended", "frt", "res", *_TEXT_DIMS)

    def __init__(self) -> None:
        self.hours = [0] * 24  # tickets per hour of creation: the `hour` and `created` rows
        self.ended = self.bot_ended = 0
        self.agent: list[str] = []
        self.agent_score: list[str] = []
        self.channel: list[str] = []
        self.city: list[str] = []
        self.reason: list[str] = []
        self.score: list[str] = []
        self.tag: list[str] = []
        self.frt: list[tuple[str, int]] = []  # (agent id, value) per ticket
        self.res: list[tuple[str, int]] = []

    def counts(self) -> Iterator[tuple[str, str, int]]:
        """(dim, key, n) in key order."""
        texts = {dim: Counter(getattr(self, dim)) for dim in _TEXT_DIMS}
        fixed = {
            "bot_ended": {"": self.bot_ended},
            "created": {"": sum(self.hours)},
            "ended": {"": self.ended},
            "hour": {_HOURS[h]: n for h, n in enumerate(self.hours)},
        }
        for dim, found in sorted({**texts, **fixed}.items()):
            yield from ((dim, k, n) for k, n in sorted(found.items()) if n)


class BlockDeltas:
    """`rollups.Deltas` of tickets only added (+1), for one block of a bulk load."""

    def __init__(self) -> None:
        self._days: defaultdict[tuple[str, int], _Day] = defaultdict(_Day)  # (helpdesk, day)
        self._names: dict[tuple[str, str], str] = {}  # (helpdesk, agent id) -> its name

    def add_plain(self, helpdesk_id: str, p: Plain) -> None:
        """`Deltas.add_plain(helpdesk_id, p, 1)`."""
        (created, status, ticket_type, score, channel, reason, tags, city) = p[:8]
        agent, agent_name, entry, first_response, closed_at = p[8:]
        day = created // DAY_MS
        d = self._days[(helpdesk_id, day)]
        d.hours[created // HOUR_MS % 24] += 1
        ended = status in CLOSED
        if ended:
            d.ended += 1
            if ticket_type == BOT_TYPE:
                d.bot_ended += 1
        scored = _SCORES.get(score)
        if scored:
            d.score.append(scored)
        if reason:
            d.reason.append(reason)
        d.tag.extend(tags)
        if channel is not None:
            d.channel.append(str(channel))
        if city:
            d.city.append(city)
        if agent:
            d.agent.append(agent)
            if scored:
                d.agent_score.append(f"{scored}:{agent}")
            self._names[(helpdesk_id, agent)] = agent_name
        if entry is not None:  # `ticket_facts.span`, inlined
            if first_response is not None and first_response >= entry:
                d.frt.append((agent, first_response - entry))
            if ended and closed_at is not None and closed_at >= entry:
                d.res.append((agent, closed_at - entry))

    def sqlite_rows(self, key: Callable[[str], Any]) -> SqliteRows:
        """`Deltas.sqlite_rows`: the rows in key order; `key`: the helpdesk's key for its
        id (`helpdesk_keys`)."""
        counts: list[tuple[object, ...]] = []
        durations: list[tuple[object, ...]] = []
        found = sorted((key(h), day, h, d) for (h, day), d in self._days.items())
        for hd, group in groupby(found, key=itemgetter(0)):
            in_order = list(group)
            for _, day, _, d in in_order:
                counts.extend((hd, day, dim, k, n) for dim, k, n in d.counts())
            for kind in ("frt", "res"):
                for _, day, _, d in in_order:
                    values = Counter(getattr(d, kind)).items()
                    durations.extend((hd, kind, day, *v, n) for v, n in sorted(values))
        return SqliteRows(
            counts,
            durations,
            sorted((h, agent, name) for (h, agent), name in self._names.items()),
            sorted((h, day) for _, day, h, _ in found),
        )
