"""The store contract for conversations (messages, private bot messages, images) on every
backend, and the message service's rules on them (response times, one transaction, the
`announce` hook)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from larkdesk.auth import provision
from larkdesk.errors import BadRequest, ResourceNotFound
from larkdesk.helpdesk.messages.content import AGENT, GUEST, decode_stored, parse_text
from larkdesk.helpdesk.messages.service import Draft, PostedMessage, TicketMessages
from larkdesk.helpdesk.models import Ticket, TicketUser, decode_ticket, to_record
from larkdesk.store.base import (
    ImageRecord,
    InTransaction,
    MessageRecord,
    MessageWrite,
    Store,
    Window,
)
from larkdesk.store.sql import Sql

T0 = 1_700_000_000_000
GUEST_USER = TicketUser(id="ou_guest", name="Guest", avatar_url="https://a/g.png")
AGENT_USER = TicketUser(id="ou_agent", name="Agent")


def desk(store: Store) -> str:
    app = provision.create_app(store, "t")
    return provision.create_helpdesk(store, app.app_id, "d").helpdesk_id


def human_ticket(ticket_id: str = "7000000000000000001", status: int = 2) -> Ticket:
    return Ticket(
        ticket_id=ticket_id,
        guest=GUEST_USER,
        ticket_type=2,
        status=status,
        created_at=T0,
        agents=[AGENT_USER],
        agent_owner=AGENT_USER,
        agent_entry_time=T0 + 10_000,
    )


def plain_write(n: int, at: int) -> MessageWrite:
    return MessageWrite(MessageRecord(f"tm{n}", f"om_{n}", at, b'{"n":%d}' % n))


def test_messages_get_positions_and_list_in_time_order_with_window_and_page(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    positions = []
    for n, at in enumerate((T0 + 3000, T0 + 1000, T0 + 2000)):

        def compose(body: bytes, position: int, n: int = n, at: int = at) -> MessageWrite:
            positions.append(position)
            return plain_write(n, at)

        assert store.add_message(hd, "7000000000000000001", compose) is not None
    assert positions == [1, 2, 3]
    page = store.list_messages(hd, "7000000000000000001", None, 0, 10)
    assert page is not None and page.total == 3
    assert list(page.messages) == [b'{"n":1}', b'{"n":2}', b'{"n":0}']
    window = store.list_messages(hd, "7000000000000000001", Window(T0 + 1500, T0 + 3000), 1, 1)
    assert window is not None and window.total == 2 and list(window.messages) == [b'{"n":0}']
    assert store.get_message(hd, "7000000000000000001", "om_2") == b'{"n":2}'
    assert store.get_message(hd, "7000000000000000001", "tm2") == b'{"n":2}'
    assert store.get_message(hd, "7000000000000000001", "om_9") is None


def test_another_helpdesks_ticket_takes_and_shows_nothing(store: Store) -> None:
    hd, other = desk(store), desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    called = []

    def compose(body: bytes, position: int) -> MessageWrite:
        called.append(position)
        return plain_write(1, T0)

    assert store.add_message(other, "7000000000000000001", compose) is None
    assert store.add_message(hd, "nope\x00", compose) is None
    assert called == []
    assert store.list_messages(other, "7000000000000000001", None, 0, 10) is None
    assert store.get_message(other, "7000000000000000001", "om_1") is None


def test_a_failing_compose_or_extra_write_rolls_everything_back(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    image = ImageRecord("img_v2_x", hd, "image/png", b"\x89PNG\r\n\x1a\n....")

    def boom(db: Sql) -> None:
        raise RuntimeError("the outbox is full")

    def compose(body: bytes, position: int) -> MessageWrite:
        return MessageWrite(MessageRecord("tm", "om_1", T0, b"{}"), images=(image,), also=(boom,))

    with pytest.raises(RuntimeError):
        store.add_message(hd, "7000000000000000001", compose)
    page = store.list_messages(hd, "7000000000000000001", None, 0, 10)
    assert page is not None and page.total == 0
    assert store.get_image(hd, "img_v2_x") is None


def test_images_belong_to_their_helpdesk_and_keep_their_bytes(store: Store) -> None:
    hd, other = desk(store), desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    data = bytes(range(256)) * 10
    image = ImageRecord("img_v2_a", hd, "image/png", data)

    def compose(body: bytes, position: int) -> MessageWrite:
        return MessageWrite(MessageRecord("tm", "om_1", T0, b"{}"), images=(image,))

    store.add_message(hd, "7000000000000000001", compose)
    assert store.get_image(hd, "img_v2_a") == image
    assert store.get_image(other, "img_v2_a") is None
    assert store.get_image(hd, "img\x00") is None


def test_private_bot_messages_are_kept_outside_tickets(store: Store) -> None:
    hd = desk(store)
    store.add_private_message(hd, "ou_guest", MessageRecord("", "om_p", T0, b"{}"))
    store.add_private_message(hd, "ou_guest", MessageRecord("", "om_q", T0, b"{}"))


def test_agent_messages_set_response_times_guest_messages_only_updated_at(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    clock = iter([T0 + 20_000, T0 + 20_000, T0 + 80_000, T0 + 90_000])
    service = TicketMessages(store, clock=lambda: next(clock))
    service.post(hd, "7000000000000000001", Draft("guest", parse_text("hello")))
    after_guest = decode_ticket(store.get_ticket("7000000000000000001") or b"")
    assert after_guest.updated_at == T0 + 20_000
    assert after_guest.agent_first_response_time is None
    first = service.post(hd, "7000000000000000001", Draft("agent", parse_text("hi")))
    assert first.created_at == T0 + 20_001  # one ms past the guest's: same clock reading
    service.post(hd, "7000000000000000001", Draft("agent", parse_text("more")))
    ticket = decode_ticket(store.get_ticket("7000000000000000001") or b"")
    assert ticket.agent_first_response_time == T0 + 20_001
    assert ticket.agent_last_response_time == T0 + 80_000
    assert ticket.agent_first_response_duration == 10  # s since agent_entry_time
    assert ticket.agent_service_duration == pytest.approx(70_000 / 60_000)
    assert ticket.updated_at == T0 + 80_000
    page = store.list_messages(hd, "7000000000000000001", None, 0, 10)
    assert page is not None
    stored = [decode_stored(body) for body in page.messages]
    assert [(m.position, m.sender_type) for m in stored] == [(1, GUEST), (2, AGENT), (3, AGENT)]
    assert stored[0].sender is not None and stored[0].sender.open_id == "ou_guest"
    assert stored[1].message_id.startswith("om_") and len(stored[1].message_id) == 35


def test_announce_writes_in_the_same_transaction(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    seen: list[PostedMessage] = []

    def announce(posted: PostedMessage) -> Sequence[InTransaction]:
        seen.append(posted)

        def refuse(db: Sql) -> None:
            raise BadRequest("no outbox today")

        return (refuse,)

    service = TicketMessages(store, announce=announce)
    with pytest.raises(BadRequest):
        service.post(hd, "7000000000000000001", Draft("agent", parse_text("hi")))
    assert seen and seen[0].ticket.agent_last_response_time is not None
    assert seen[0].message.position == 1 and seen[0].helpdesk_id == hd
    ticket = decode_ticket(store.get_ticket("7000000000000000001") or b"")
    assert ticket.agent_last_response_time is None  # rolled back with the message


def test_closed_tickets_and_unknown_tickets_take_no_message(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(status=51), hd))
    service = TicketMessages(store)
    with pytest.raises(BadRequest, match="closed"):
        service.post(hd, "7000000000000000001", Draft("guest", parse_text("hello?")))
    with pytest.raises(ResourceNotFound):
        service.post(hd, "7000000000000000009", Draft("guest", parse_text("hello?")))


def test_concurrent_messages_of_one_ticket_get_distinct_positions(store: Store) -> None:
    hd = desk(store)
    store.create_ticket(to_record(human_ticket(), hd))
    service = TicketMessages(store)

    def say(n: int) -> int:
        return service.post(hd, "7000000000000000001", Draft("agent", parse_text(f"{n}"))).position

    with ThreadPoolExecutor(4) as pool:
        positions = sorted(pool.map(say, range(12)))
    assert positions == list(range(1, 13))


def test_larkdesk_migrate_copies_conversations_and_images(tmp_path: Path) -> None:
    from larkdesk.store import open_store
    from larkdesk.store.location import PostgresLocation, SqliteLocation
    from larkdesk.store.sqlite import SQLiteStore
    from larkdesk.transfer.migrate import copy_database

    from .backends import postgres_schema

    path = tmp_path / "source.db"
    source = SQLiteStore(path)
    hd = desk(source)
    source.create_ticket(to_record(human_ticket(), hd))
    image = ImageRecord("img_v2_m", hd, "image/png", b"\x89PNG\r\n\x1a\nbytes")
    service = TicketMessages(source)
    service.post(hd, "7000000000000000001", Draft("guest", parse_text("hello"), (image,)))
    service.post(hd, "7000000000000000001", Draft("agent", parse_text("hi")))
    source.add_private_message(hd, "ou_guest", MessageRecord("", "om_p", T0, b"{}"))
    before = source.list_messages(hd, "7000000000000000001", None, 0, 10)
    source.close()
    with postgres_schema() as url:
        report = copy_database(SqliteLocation(str(path)), PostgresLocation(url))
        assert report.tickets_copied == 1 and report.verified
        target = open_store(url)
        try:
            assert target.list_messages(hd, "7000000000000000001", None, 0, 10) == before
            assert target.get_image(hd, "img_v2_m") == image
        finally:
            target.close()
