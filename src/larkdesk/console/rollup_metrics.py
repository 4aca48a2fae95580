"""The Metrics page's numbers from the rollups kept as tickets change (`store.rollups`),
never the tickets: the same `Metrics` the scan (`console.metrics`) builds.

A process keeps a copy of each day's rollups it has read, with the day's version
(`metric_day_versions`, bumped by every write that changes the day), and of each whole
calendar month (and a period's loose days) merged from its days (`rollup_blocks`), warmed
at the server's start (`warmup`). A page view reads, in one transaction, the period's day
versions and the rows of only the days whose version its copy lacks (usually none, or the
few days that writes touched since), patches the merged blocks holding those days, then
adds up whole months and the loose days. The median and p90 are exact: the k-th smallest
of the period's durations, across the blocks' sorted value lists. The tests compare every
number with the scan's (after writes, so also the copies' renewal); docs/metrics.md."""

from __future__ import annotations

import datetime as dt
import math
import threading
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from ..store.base import Store
from ..store.rollups import DaySnapshot
from .metrics import AgentRow, Metrics
from .rollup_blocks import EPOCH, Block, Day, Keys, day_block, merged

KINDS = ("frt", "res")
MAX_DAYS = 20_000  # days kept per process (all helpdesks); beyond, the copies start over
MAX_VIEWS = 1_000  # periods whose numbers are kept while their days are unchanged
SORT_BELOW = 40  # fewer values than this per list: sort them; more: search by value
SORT_UNDER = 20_000  # up to this many values in all: sort them (timsort merges the sorted
# lists faster than ~25 rounds of bisecting each: an agent's year is ~2,000 values)
VIEW_TRIES = 3  # views of a period while concurrent views keep renewing its days
WARM_MONTHS = 13  # calendar months a process reads at start (`warm`): any period of a year
WARM_READ_DAYS = 4  # days a warm-up read holds: a month's rows read at once are ~30 MB
# of Python objects, whose memory the process keeps (bench/README.md)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def kth(lists: list[Sequence[int]], k: int) -> int:
    """The k-th smallest (1-based) of the values of sorted `lists` (k within their total)."""
    if len(lists) == 1:
        return lists[0][k - 1]
    total = sum(len(values) for values in lists)
    if total <= SORT_UNDER or total < SORT_BELOW * len(lists):
        return sorted(chain.from_iterable(lists))[k - 1]
    lo, hi = min(v[0] for v in lists if v), max(v[-1] for v in lists if v)
    while lo < hi:  # the smallest value with at least k values at or below it
        mid = (lo + hi) // 2
        if sum(bisect_right(values, mid) for values in lists) >= k:
            hi = mid
        else:
            lo = mid + 1
    return lo


def percentile_of(lists: list[Sequence[int]], share: float) -> int | None:
    """The nearest-rank percentile over the lists' values, as `metrics.percentile`."""
    lists = [values for values in lists if values]
    total = sum(len(values) for values in lists)
    if not total:
        return None
    return kth(lists, max(1, math.ceil(share * total)))


class RollupCache:
    """A process's copies of days' rollups and of runs of them merged (see the module's
    docstring and `rollup_blocks`)."""

    def __init__(self) -> None:
        self._days: dict[tuple[str, int], Day] = {}
        self._keys = Keys()  # the pairs the days hold, each once
        self._merged: dict[tuple[str, int, int], Block] = {}  # (helpdesk, first, last day)
        self._views: dict[tuple[str, int, int], tuple[Any, RollupMetrics]] = {}
        self._lock = threading.Lock()

    def metrics(self, store: Store, helpdesk_id: str, start: dt.date, end: dt.date) -> Metrics:
        """The metrics of the helpdesk's tickets created from `start` to `end` (UTC days)."""
        for _ in range(VIEW_TRIES):
            found = self._view(store, helpdesk_id, start, end)
            if found is not None:
                return found
        return RollupCache().metrics(store, helpdesk_id, start, end)

    def _view(self, store: Store, helpdesk_id: str, start: dt.date, end: dt.date) -> Metrics | None:
        """The period's metrics; None if a concurrent view changed the copies of its days
        meanwhile (read again: a view uses only the day versions it read)."""
        first, last = day_number(start), day_number(end)
        snap = self._load(store, helpdesk_id, first, last)
        seen = self._views.get((helpdesk_id, first, last))
        if seen is not None and seen[0] == (snap.versions, snap.names):
            return seen[1]  # nothing in the period changed since: the same numbers
        with self._lock:
            try:
                blocks = self._blocks(helpdesk_id, start, end, snap.versions)
            except KeyError:  # another view renewed or dropped a day's copy meanwhile
                return None
        metrics = assemble(blocks, start, end, snap.names, seen[1] if seen else None)
        with self._lock:
            if len(self._views) > MAX_VIEWS:
                self._views.clear()
            self._views[(helpdesk_id, first, last)] = ((snap.versions, snap.names), metrics)
        return metrics

    def warm(self, store: Store, helpdesk_id: str, stop: threading.Event) -> int:
        """Read the WARM_MONTHS calendar months up to the helpdesk's newest day with
        rollups (newest first) and merge each, as a view of them would, so that views of
        any period in them find every block made; returns the days read. Each month is
        read WARM_READ_DAYS days at a time, each read checked by versions as a view's: a
        month merged from days read at different moments is still made of days at known
        versions, and a view uses it only if those are the versions it read (`merged`
        compares the parts). Stops between months once `stop` is set."""
        newest = store.metric_last_day(helpdesk_id)
        if newest is None:
            return 0
        read = 0
        month = (EPOCH + dt.timedelta(days=newest)).replace(day=1)
        for _ in range(WARM_MONTHS):
            if stop.is_set():
                break
            month_end = _month_end(month)
            first, last = day_number(month), day_number(month_end)
            versions: dict[int, int] = {}
            for lo in range(first, last + 1, WARM_READ_DAYS):
                hi = min(last, lo + WARM_READ_DAYS - 1)
                known = self._known(helpdesk_id, lo, hi)
                snap = self._load(store, helpdesk_id, lo, hi)
                read += sum(1 for d in snap.versions if d not in known)
                versions.update(snap.versions)
            with self._lock, suppress(KeyError):  # KeyError: a view started over meanwhile
                self._blocks(helpdesk_id, month, month_end, versions)
            month = (month - dt.timedelta(days=1)).replace(day=1)
        return read

    def _known(self, helpdesk_id: str, first: int, last: int) -> dict[int, Day]:
        with self._lock:
            if len(self._days) > MAX_DAYS:
                self._keys = Keys()
                self._days.clear()
                self._merged.clear()
                self._views.clear()
            return {
                d: block
                for d in range(first, last + 1)
                if (block := self._days.get((helpdesk_id, d))) is not None
            }

    def _load(self, store: Store, helpdesk_id: str, first: int, last: int) -> DaySnapshot:
        """The days' versions, read in one transaction with the rows of the days whose
        version the copies lack; those days' blocks are kept."""
        known = self._known(helpdesk_id, first, last)
        versions = {d: block.version for d, block in known.items()}
        snap = store.metric_snapshot(helpdesk_id, first, last, versions)
        counts: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
        durations: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for day, dim, key, n in snap.counts:
            counts[day].append((dim, key, n))
        for day, kind, agent_id, value, n in snap.durations:
            durations[day].append((kind, agent_id, value, n))
        keys = self._keys
        fresh = {
            d: day_block(d, v, counts[d], durations[d], keys)
            for d, v in snap.versions.items()
            if versions.get(d) != v
        }
        with self._lock:
            self._days.update(((helpdesk_id, d), b) for d, b in fresh.items())
        return snap

    def _blocks(
        self, helpdesk_id: str, start: dt.date, end: dt.date, versions: dict[int, int]
    ) -> list[Block]:
        """The period's whole calendar months, each a block merged from its days, and its
        other days merged into one; each kept, and patched as its days change. Months
        are not merged further: a percentile is searched across their lists (`kth`). The
        loose days are merged even when one (a kept block: its lists stay the same
        objects while the day is unchanged, and its percentiles are taken over)."""
        blocks: list[Block] = []
        loose: dict[int, Day] = {}
        day = start
        while day <= end:
            month_end = _month_end(day)
            if day.day == 1 and month_end <= end:
                blocks.append(self._merge(helpdesk_id, day, month_end, versions))
                day = month_end + dt.timedelta(days=1)
                continue
            if (number := day_number(day)) in versions:
                loose[number] = self._day(helpdesk_id, number, versions)
            day += dt.timedelta(days=1)
        if loose:
            blocks.append(self._merge(helpdesk_id, start, end, versions, loose))
        return blocks

    def _day(self, helpdesk_id: str, day: int, versions: dict[int, int]) -> Day:
        """The copy of a day at the version the view read (KeyError: not that one)."""
        block = self._days[(helpdesk_id, day)]
        if block.version != versions[day]:
            raise KeyError(day)
        return block

    def _merge(
        self,
        helpdesk_id: str,
        start: dt.date,
        end: dt.date,
        versions: dict[int, int],
        parts: dict[int, Day] | None = None,
    ) -> Block:
        """The days from `start` to `end` (or `parts` of them) merged, kept by that range."""
        first, last = day_number(start), day_number(end)
        if parts is None:
            parts = {
                d: self._day(helpdesk_id, d, versions)
                for d in range(first, last + 1)
                if d in versions
            }
        key = (helpdesk_id, first, last)
        block = merged(parts, self._merged.get(key))
        self._merged[key] = block
        return block


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


@dataclass
class RollupAgentRow(AgentRow):
    lists: dict[str, list[Sequence[int]]] = field(default_factory=lambda: defaultdict(list))
    memo: dict[tuple[str, float], int | None] = field(default_factory=dict)

    @property
    def frt_median(self) -> int | None:
        return _memo(self.memo, self.lists, "frt", 0.5)

    @property
    def resolution_median(self) -> int | None:
        return _memo(self.memo, self.lists, "res", 0.5)


@dataclass
class RollupMetrics(Metrics):
    lists: dict[str, list[Sequence[int]]] = field(default_factory=lambda: defaultdict(list))
    memo: dict[tuple[str, float], int | None] = field(default_factory=dict)

    def frt(self, share: float) -> int | None:
        return _memo(self.memo, self.lists, "frt", share)

    def resolution(self, share: float) -> int | None:
        return _memo(self.memo, self.lists, "res", share)


def _memo(
    memo: dict[tuple[str, float], int | None],
    lists: dict[str, list[Sequence[int]]],
    kind: str,
    share: float,
) -> int | None:
    """A percentile, computed once (a kept view's numbers are read again)."""
    if (kind, share) not in memo:
        memo[(kind, share)] = percentile_of(lists[kind], share)
    return memo[(kind, share)]


def assemble(
    blocks: list[Block],
    start: dt.date,
    end: dt.date,
    names: dict[str, str],
    previous: RollupMetrics | None = None,
) -> RollupMetrics:
    """The period's metrics from its blocks; the percentiles of `previous` (the period's
    last view) whose lists are the same objects are taken over, not searched again."""
    m = RollupMetrics(start, end)
    counts: Counter[tuple[str, Any]] = Counter()
    agents: dict[str, RollupAgentRow] = {}

    def agent(agent_id: str) -> RollupAgentRow:
        found = agents.get(agent_id)
        if found is None:
            found = agents[agent_id] = RollupAgentRow(agent_id, names.get(agent_id) or agent_id)
        return found

    for block in blocks:
        counts.update(block.counts)
        for day, (created, bot) in block.daily.items():
            iso = (EPOCH + dt.timedelta(days=day)).isoformat()
            m.daily_created[iso] += created
            m.daily_bot_ended[iso] += bot
        for (kind, agent_id), values in block.values.items():
            (m if agent_id == "*" else agent(agent_id)).lists[kind].append(values)
    _count(m, counts, agent)
    for counter in (m.daily_created, m.daily_bot_ended):
        for key in [k for k, n in counter.items() if not n]:
            del counter[key]
    m.agents = {a: row for a, row in agents.items() if row.tickets}
    if previous is not None:
        _take_over(previous, m)
        for agent_id, row in m.agents.items():
            if (before := previous.agents.get(agent_id)) is not None:
                _take_over(before, row)  # type: ignore[arg-type]
    return m


def _take_over(
    before: RollupMetrics | RollupAgentRow, after: RollupMetrics | RollupAgentRow
) -> None:
    """`before`'s percentiles of the kinds whose lists `after` shares (identical objects:
    lists are never changed in place, a patch copies what it changes)."""
    memo = dict(before.memo)  # a copy made at once (another view may be adding to it)
    for kind in KINDS:
        old, new = before.lists.get(kind, []), after.lists.get(kind, [])
        if len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True)):
            after.memo.update((key, value) for key, value in memo.items() if key[0] == kind)


def _count(
    m: Metrics, counts: Counter[tuple[str, Any]], agent: Callable[[str], RollupAgentRow]
) -> None:
    simple: dict[str, Counter[Any]] = {
        "reason": m.reasons,
        "tag": m.tags,
        "city": m.cities,
        "heat": m.heat,
    }
    for (dim, key), n in counts.items():
        if not n:
            continue
        if dim in simple:
            simple[dim][key] += n
        elif dim in ("score", "channel"):
            (m.scores if dim == "score" else m.channels)[int(key)] += n
        elif dim == "agent":
            agent(key).tickets += n
        elif dim == "agent_score":
            score, _, agent_id = key.partition(":")
            agent(agent_id).scores[int(score)] += n
    m.created, m.ended, m.bot_ended = (counts[(d, "")] for d in ("created", "ended", "bot_ended"))


def rollup_metrics(store: Store, helpdesk_id: str, start: dt.date, end: dt.date) -> Metrics:
    """The period's metrics from the rollups, with no copies kept (a fresh cache)."""
    return RollupCache().metrics(store, helpdesk_id, start, end)
