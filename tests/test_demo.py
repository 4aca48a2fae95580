"""Deterministic, realistic demo data."""

from __future__ import annotations

import msgspec
import pytest

from larkdesk import demo
from larkdesk.helpdesk.models import STATUSES, Ticket, derive, validate
from larkdesk.store.sqlite import SQLiteStore


def tickets(seed: int, count: int = 2000) -> list[Ticket]:
    creds = demo.demo_credentials(seed)
    world = demo.demo_world(seed, creds.tenant_key)
    return list(demo.generate_tickets(seed, creds.helpdesk_id, world, count))


def test_same_seed_same_credentials_and_tickets() -> None:
    assert demo.demo_credentials(3) == demo.demo_credentials(3)
    assert demo.demo_credentials(3) != demo.demo_credentials(4)
    first, again = tickets(3, 300), tickets(3, 300)
    assert msgspec.json.encode(first) == msgspec.json.encode(again)
    assert msgspec.json.encode(first) != msgspec.json.encode(tickets(4, 300))


def test_credentials_have_feishu_formats() -> None:
    creds = demo.demo_credentials(0)
    assert creds.app_id.startswith("cli_") and len(creds.app_id) == 20
    assert len(creds.app_secret) == 32 and creds.app_secret.isalnum()
    assert len(creds.helpdesk_id) == 19 and creds.helpdesk_id.isdigit()
    assert set(creds.as_dict()) == {
        "tenant_key",
        "app_id",
        "app_secret",
        "helpdesk_id",
        "helpdesk_token",
    }


def test_tickets_are_realistic_and_consistent() -> None:
    batch = [derive(t) for t in tickets(0)]
    ids = [t.ticket_id for t in batch]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 19 and i.isdigit() and int(i) < 2**63 for i in ids)
    assert {t.status for t in batch} == set(STATUSES)
    assert {t.ticket_type for t in batch} == {1, 2}
    assert len({t.created_at for t in batch}) < len(batch)  # some tickets share a millisecond
    assert any(t.updated_at == -1 for t in batch)
    names = {t.guest.name for t in batch if t.guest and t.guest.name}
    assert any(n.isascii() for n in names) and any(not n.isascii() for n in names)
    for t in batch:
        validate(t)
        if t.ticket_type == 1:
            assert not t.agents and t.agent_entry_time is None
        stamps = [
            t.created_at,
            t.agent_entry_time,
            t.agent_first_response_time,
            t.agent_last_response_time,
            t.closed_at,
        ]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present), t
        assert t.updated_at == -1 or t.updated_at >= t.created_at
        if t.status == 51 and t.closed_by:
            assert t.closed_by.id in {a.id for a in t.agents or []}
        assert (t.closed_at is not None) == (t.status in (50, 51, 52))


def test_agents_tags_and_big_ids() -> None:
    batch = tickets(0)
    agents = {a.id for t in batch for a in t.agents or []}
    tags = {tag.name for t in batch for tag in t.tags or []}
    assert 100 < len(agents) <= 200 and 40 <= len(tags) <= 50
    assert any((t.comments.user_id or 0) > 2**53 for t in batch if t.comments)


def test_seed_demo_is_idempotent(tmp_path: object) -> None:
    store = SQLiteStore(f"{tmp_path}/demo.db")
    first = demo.seed_demo(store, tickets=500, seed=1)
    again = demo.seed_demo(store, tickets=500, seed=1)
    assert first == again and store.count_tickets(first.helpdesk_id) == 500
    store.close()


def test_a_big_demo_generated_in_a_second_process_is_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from larkdesk.demo import records as demo_records
    from larkdesk.helpdesk.models import to_record

    creds = demo.demo_credentials(2)
    world = demo.demo_world(2, creds.tenant_key)
    inline = [
        to_record(t, creds.helpdesk_id)
        for t in demo.generate_tickets(2, creds.helpdesk_id, world, 2500)
    ]
    monkeypatch.setattr(demo_records, "PARALLEL_FROM", 1)  # a spawned process even for 2,500
    spawned = list(demo_records.demo_records(2, creds.helpdesk_id, creds.tenant_key, 2500))
    assert spawned == inline
