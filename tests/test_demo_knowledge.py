"""The demo's knowledge base, agents and notifications, on each store: bilingual,
searchable, deterministic, seeded once."""

from __future__ import annotations

from pathlib import Path

from larkdesk.demo import seed_demo
from larkdesk.demo.knowledge import demo_notifications
from larkdesk.helpdesk.agents.service import Agents
from larkdesk.helpdesk.agents.skills import AgentSkills
from larkdesk.helpdesk.faq.categories import FaqCategories
from larkdesk.helpdesk.faq.service import Faqs
from larkdesk.helpdesk.notifications.service import Notifications
from larkdesk.store.base import Store, User
from larkdesk.store.faq_records import FaqFilter

from .backends import open_backend


def search(faqs: Faqs, helpdesk_id: str, *terms: str) -> list[str]:
    where = FaqFilter(status=1, terms=terms, count=False)
    return [f.question for f in faqs.find(helpdesk_id, where, None, 100).items]


def test_the_demo_knowledge_base(store: Store) -> None:
    creds = seed_demo(store, tickets=10, seed=3)
    desk = creds.helpdesk_id
    categories = FaqCategories(store).list(desk, None, None, True)
    assert len(categories) == 14
    assert {c.language for c in categories} == {"zh_cn", "en_us"}
    faqs = Faqs(store)
    everything = faqs.find(desk, FaqFilter(status=1), None, 100)
    assert everything.total == 280 and everything.has_more
    vpn = search(faqs, desk, "vpn")
    assert len(vpn) == 20 and "VPN无法使用怎么办？" in vpn
    assert search(faqs, desk, "密码") == [q for q in search(faqs, desk, "账号密码")]
    assert len(search(faqs, desk, "printer", "slow")) == 1
    english = next(c for c in categories if c.language == "en_us")
    in_shelf = faqs.find(desk, FaqFilter(category_id=english.category_id, status=1), None, 100)
    assert in_shelf.total > 0
    assert all(f.categories and f.categories[0].name == english.name for f in in_shelf.items)

    agents = Agents(store)
    assert agents.emails(desk).count("@") == 12
    schedules = agents.list_schedules(desk, [])
    assert len(schedules) == 10 and all(s.schedule for s in schedules)
    assert {s.name for s in AgentSkills(store).list_skills(desk)} == {
        "中文支持",
        "English support",
        "Hardware",
    }
    states = {
        Notifications(store).get(desk, n.id or "").status
        for n in demo_notifications(3, world_agents(store, creds.tenant_key)[0])
    }
    assert states == {0, 1, 2, 3, 5}


def world_agents(store: Store, tenant_key: str) -> list[User]:
    from larkdesk.demo import demo_world

    return demo_world(3, tenant_key).agents


def test_seeding_twice_changes_nothing_and_the_same_seed_gives_the_same_data(
    tmp_path: Path,
) -> None:
    made = []
    for n in range(2):
        (tmp_path / str(n)).mkdir()
        with open_backend("sqlite", tmp_path / str(n)) as store:
            creds = seed_demo(store, tickets=5, seed=8)
            if n == 0:
                seed_demo(store, tickets=5, seed=8)  # again: nothing more
            page = Faqs(store).find(creds.helpdesk_id, FaqFilter(status=1), None, 100)
            assert page.total == 280
            made.append([(f.faq_id, f.question, f.answer) for f in page.items])
    assert made[0] == made[1]
