"""The blocks a process keeps of the metrics rollups (`console.rollup_metrics`): one day's
rows as read (`Day`, packed), and runs of days (a calendar month, the loose days of a
period) merged (`Block`).

A day is kept packed, not as Python objects: its counts as two arrays (the numbers of
their (dim, key) pairs in the process's `Keys`, and the counts), and its durations as one
`array("q")` of sorted runs, one run per (kind, agent) pair (agent "" for tickets with
none; all agents' together, "*", are made from them when asked), with the pairs' numbers
and the runs' ends beside it. Its `counts` and `values` are made when a
merge or a patch asks for them. Each pair (its strings) is kept once per process, however
many days and months hold it. A year of a million tickets' days took ~100 MB as dicts of
tuples, strings and one array per pair and day (693,000 strings read from SQLite were
kept, one per row); packed, ~12 MB (bench/README.md, "The metrics copies' memory").

A merged block knows the day blocks it was made of (`parts`). When some of those days are
read again at a newer version (writes keep changing a few recent days), the block is
patched instead of merged anew: the old day's counts are taken off and the new one's
added, and only the value lists that differ are copied, each changed by the few values
that came and went (a multiset difference). The lists a patch does not touch stay the
same objects, so a percentile computed from them before (per agent) still holds.

The sorted values are kept as `array("q")` (8 bytes a value, where a list of ints costs
~36 and is an object the garbage collector walks).
"""

from __future__ import annotations

import datetime as dt
import threading
from array import array
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, pairwise
from typing import Any

EPOCH = dt.date(1970, 1, 1)
PATCH_DAYS = 8  # at most this many newer days: patch a merged block; more: merge anew
Values = array  # of int ("q"), sorted
Pair = tuple[str, Any]  # (dim, key) of a count, (kind, agent_id) of a value list
_NONE: Values[int] = array("q")


class Keys:
    """The pairs a process's day blocks hold, each kept once and numbered (thread-safe:
    views and the warm-up read days at once). Only ever grows; a cache that starts over
    takes a new one (days keep theirs)."""

    def __init__(self) -> None:
        self.pairs: list[Pair] = []
        self._ids: dict[Pair, int] = {}
        self._lock = threading.Lock()

    def id(self, pair: Pair) -> int:
        found = self._ids.get(pair)
        if found is None:
            with self._lock:
                found = self._ids.get(pair)
                if found is None:
                    found = len(self.pairs)
                    self.pairs.append(pair)  # before the number is seen by others
                    self._ids[pair] = found
        return found


class Day:
    """One day's counts (the hour as ("heat", (weekday, hour))), tickets created and
    bot-ended, and sorted durations per kind, overall ("*") and per agent, packed (see the
    module's docstring); `counts`, `daily` and `values` as a merged `Block`'s."""

    __slots__ = (
        *("version", "day", "keys", "created", "bot_ended"),
        *("_ids", "_ns", "_slots", "_ends", "_values"),
    )

    def __init__(self, day: int, version: Any, keys: Keys) -> None:
        self.version, self.day, self.keys = version, day, keys
        self.created = self.bot_ended = 0
        self._ids, self._ns = array("i"), array("q")
        self._slots, self._ends, self._values = array("i"), array("q"), array("q")

    def count_pairs(self) -> Iterator[tuple[Pair, int]]:
        pairs = self.keys.pairs
        return zip(map(pairs.__getitem__, self._ids), self._ns, strict=True)

    @property
    def counts(self) -> Counter[Pair]:
        return Counter(dict(self.count_pairs()))

    @property
    def daily(self) -> dict[int, tuple[int, int]]:
        return {self.day: (self.created, self.bot_ended)}

    @property
    def values(self) -> dict[Pair, Values[int]]:
        """Each pair's sorted values (new arrays: the day's own stay packed); a kind's
        overall ("*") are its runs together (they are kept once: the agents' runs, and
        the run of tickets with no agent, as ("frt", ""), which is not shown)."""
        pairs, values, found, start = self.keys.pairs, self._values, {}, 0
        kinds: dict[str, int] = {}  # kind -> where its runs start (they are in kind order)
        for slot, end in zip(self._slots, self._ends, strict=True):
            kind, agent_id = pair = pairs[slot]
            kinds.setdefault(kind, start)
            if agent_id:
                found[pair] = values[start:end]
            start = end
        for kind, (first, last) in zip(kinds, pairwise([*kinds.values(), start]), strict=True):
            found[pairs[self.keys.id((kind, "*"))]] = array("q", sorted(values[first:last]))
        return found


@dataclass
class Block:
    """Counts by (dim, key), tickets created and bot-ended per day, and the sorted
    durations per kind, overall ("*") and per agent, merged from `parts` (day -> Day)."""

    version: Any
    counts: Counter[Pair] = field(default_factory=Counter)
    daily: dict[int, tuple[int, int]] = field(default_factory=dict)
    values: dict[Pair, Values[int]] = field(default_factory=dict)
    parts: dict[int, Day] = field(default_factory=dict)


def day_block(
    day: int,
    version: int,
    counts: list[tuple[str, str, int]],
    durations: list[tuple[Any, ...]],
    keys: Keys | None = None,
) -> Day:
    """One day's block from its rows, its pairs numbered in `keys` (the process's)."""
    keys = Keys() if keys is None else keys
    block = Day(day, version, keys)
    weekday = (EPOCH + dt.timedelta(days=day)).weekday()
    tally: dict[int, int] = defaultdict(int)
    for dim, key, n in counts:
        tally[keys.id(("heat", (weekday, int(key))) if dim == "hour" else (dim, key))] += n
    block._ids.extend(tally)
    block._ns.extend(tally.values())
    block.created = tally.get(keys.id(("created", "")), 0)
    block.bot_ended = tally.get(keys.id(("bot_ended", "")), 0)
    values: dict[tuple[str, int], list[int]] = defaultdict(list)
    for kind, agent_id, value, n in durations:
        values[(kind, keys.id((kind, agent_id)))].extend([value] * n)
    packed: list[int] = []  # made into arrays at once (no growing: the heap keeps holes)
    for kind_slot in sorted(values):  # a kind's runs together
        packed.extend(sorted(values[kind_slot]))
        block._ends.append(len(packed))
        block._slots.append(kind_slot[1])
    block._values = array("q", packed)
    return block


def merged(parts: dict[int, Day], previous: Block | None = None) -> Block:
    """The day blocks `parts` merged; patched from `previous` (merged from the same days,
    some at older versions) when few of them changed."""
    if previous is not None and previous.parts.keys() == parts.keys():
        changed = [d for d, b in parts.items() if previous.parts[d] is not b]
        if not changed:
            return previous
        if len(changed) <= PATCH_DAYS:
            return _patched(previous, parts, changed)
    block = Block(None, parts=dict(parts))
    counts: dict[Pair, int] = defaultdict(int)
    lists: dict[Pair, list[Values[int]]] = defaultdict(list)
    for day in parts.values():
        for pair, n in day.count_pairs():
            counts[pair] += n
        block.daily[day.day] = (day.created, day.bot_ended)
        for key, found in day.values.items():
            lists[key].append(found)
    block.counts.update(counts)
    block.values = {
        key: found[0] if len(found) == 1 else array("q", sorted(chain.from_iterable(found)))
        for key, found in lists.items()
    }
    return block


def _patched(previous: Block, parts: dict[int, Day], changed: list[int]) -> Block:
    block = Block(None, previous.counts.copy(), dict(previous.daily), dict(previous.values))
    block.parts = dict(parts)
    for day in changed:
        old, new = previous.parts[day], parts[day]
        block.counts.subtract(old.counts)
        block.counts.update(new.counts)
        block.daily.update(new.daily)
        old_values, new_values = old.values, new.values
        for key in old_values.keys() | new_values.keys():
            gone, came = old_values.get(key, _NONE), new_values.get(key, _NONE)
            if gone == came:
                continue
            taken, added = Counter(gone), Counter(came)
            values = list(block.values.get(key, ()))
            for value in (taken - added).elements():
                del values[bisect_left(values, value)]
            for value in (added - taken).elements():
                insort(values, value)
            if values:
                block.values[key] = array("q", values)
            else:
                block.values.pop(key, None)
    return block
