"""A bulk load's block rollups (`rollup_blocks.BlockDeltas`, counted per day in plain
lists) are the rows `rollups.Deltas` gives for the same tickets added one by one: the same
rows, the same sums, in the same order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from larkdesk.store.rollup_blocks import BlockDeltas
from larkdesk.store.rollups import DAY_MS, Deltas
from larkdesk.store.ticket_facts import Plain

T0 = 1_793_447_946_351
_texts = st.sampled_from(["", "ou_1", "ou_2", "ou_10", "武汉", "VPN", "a:b"])
_times = st.none() | st.integers(min_value=-1, max_value=4 * DAY_MS)


@st.composite
def _plain(draw: st.DrawFn) -> Plain:
    created = T0 + draw(st.integers(min_value=-3 * DAY_MS, max_value=3 * DAY_MS))
    entry, first, closed = draw(_times), draw(_times), draw(_times)
    return Plain(
        created,
        draw(st.sampled_from([0, 1, 2, 50, 51, 52])),
        draw(st.integers(min_value=0, max_value=2)),
        draw(st.integers(min_value=0, max_value=4)),
        draw(st.none() | st.integers(min_value=-2, max_value=20)),
        draw(_texts),
        draw(st.lists(_texts.filter(bool), max_size=3)),
        draw(_texts),
        draw(_texts),
        draw(_texts),
        None if entry is None else created + entry,
        None if first is None else created + first,
        None if closed is None else created + closed,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["hd-b", "hd-a", "hd-c"]), _plain()), max_size=60))
def test_a_block_adds_the_rows_deltas_add(tickets: list[tuple[str, Plain]]) -> None:
    keys = {"hd-a": 3, "hd-b": 1, "hd-c": 2}  # not the ids' order: rows go in key order
    block, deltas = BlockDeltas(), Deltas()
    for helpdesk_id, facts in tickets:
        block.add_plain(helpdesk_id, facts)
        deltas.add_plain(helpdesk_id, facts, 1)
    assert block.sqlite_rows(keys.__getitem__) == deltas.sqlite_rows(keys.__getitem__)


def test_a_real_looking_block() -> None:
    """Two days, an agent's names changing (the last one stands), repeated tags."""
    first = Plain(
        T0, 51, 1, 3, 13, "slow", ["VPN", "VPN"], "武汉", "ou_1", "Ann", T0 + 5, T0 + 9, T0 + 20
    )
    again = first._replace(created_at=T0 + DAY_MS, agent_name="Ann Lee", reason="", score=0)
    block, deltas = BlockDeltas(), Deltas()
    for facts in (first, again, first._replace(agent="", status=1)):
        block.add_plain("hd", facts)
        deltas.add_plain("hd", facts, 1)
    rows = block.sqlite_rows(lambda _: 7)
    assert rows == deltas.sqlite_rows(lambda _: 7)
    assert rows.names == [("hd", "ou_1", "Ann Lee")]
    day = T0 // DAY_MS
    assert (7, day, "tag", "VPN", 4) in rows.counts
    assert (7, day, "created", "", 2) in rows.counts
    assert (7, "res", day, "ou_1", 15, 1) in rows.durations
    assert (7, "frt", day, "", 4, 1) in rows.durations
    assert rows.days == [("hd", day), ("hd", day + 1)]
