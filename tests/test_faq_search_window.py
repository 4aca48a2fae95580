"""FAQ search on PostgreSQL reads the newest rows in order first, then the older ones
through the bigram index (store/faqs.py, `WINDOW`): with a tiny window, every page and
offset must equal what the plain query (the one FAQ list uses) finds, on every store."""

from __future__ import annotations

import pytest

from larkdesk.auth import provision
from larkdesk.helpdesk.faq.bodies import Faq
from larkdesk.helpdesk.faq.service import ONLINE, record_of
from larkdesk.store import faqs
from larkdesk.store.base import Store
from larkdesk.store.faq_records import FaqFilter

WORDS = ["打印机故障", "vpn 断线", "密码重置", "Printer jam", "会议室预订"]


def test_windowed_search_pages_like_the_plain_query(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = provision.create_app(store, "faq-window")
    desk = provision.create_helpdesk(store, app.app_id, "d").helpdesk_id
    records = [
        record_of(
            Faq(
                faq_id=str(7_100_000_000_000_000_000 + n),
                id=str(7_100_000_000_000_000_000 + n),
                helpdesk_id=desk,
                question=f"问题 {n}: {WORDS[n % len(WORDS)]}",
                answer=f"answer {n} {WORDS[(n * 3) % len(WORDS)]}",
                create_time=n,
                update_time=n,
            ),
            "",
            ONLINE,
        )
        for n in range(40)
    ]
    store.insert_faqs(records)
    monkeypatch.setattr(faqs, "WINDOW", 3)  # most matches lie past the window
    for terms in [("打印机",), ("printer",), ("vpn", "密码"), ("密码",), ("nothing here",)]:
        expected = store.find_faqs(desk, FaqFilter(status=1, terms=terms), 0, 100).rows
        for offset in (0, 2, 5):
            page = store.find_faqs(desk, FaqFilter(status=1, terms=terms, count=False), offset, 4)
            assert page.rows == expected[offset : offset + 4], (terms, offset)
            more = len(expected) > offset + 4
            assert page.total == offset + len(page.rows) + (1 if more else 0), (terms, offset)
