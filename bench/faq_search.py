"""FAQ search at 100,000 FAQs: `store.find_faqs` as `GET /faqs/search` calls it, p50/p99
over a fixed mix of queries (Chinese and English; one term and two; short terms that
SQLite cannot answer from its trigram index). Run by hand:

    .venv/bin/python bench/faq_search.py [--faqs 100000] [--postgres URL]

Results go to bench/README.md ("FAQ search").
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from larkdesk.auth import provision
from larkdesk.helpdesk.faq.bodies import Faq
from larkdesk.helpdesk.faq.service import ONLINE, record_of
from larkdesk.store import open_store
from larkdesk.store.base import Store
from larkdesk.store.faq_records import FaqFilter

WORDS_ZH = "密码 邮箱 打印机 报销 请假 会议室 网络 账号 审批 工资 门禁 显示器 软件 故障".split()
WORDS_EN = "password email printer expense leave meeting network account approval badge".split()
QUERIES = (
    ("忘记密码",),
    ("密码",),
    ("打印机", "故障"),
    ("vpn",),
    ("printer", "jam"),
    ("expense", "approval"),
    ("nothing-matches-this",),
    ("会议室",),
)


def load(store: Store, helpdesk_id: str, count: int) -> None:
    rng = random.Random(7)
    base = 7_000_000_000_000_000_000 + random.randrange(10**15)  # ids of this run only
    batch = []
    for n in range(count):
        zh = "".join(rng.choice(WORDS_ZH) for _ in range(3))
        en = " ".join(rng.choice(WORDS_EN) for _ in range(4))
        faq = Faq(
            faq_id=str(base + n),
            id=str(base + n),
            helpdesk_id=helpdesk_id,
            question=f"{zh}怎么办？ {en}?",
            answer=f"请联系服务台处理{zh}。Contact the desk about {en}." + " vpn" * (n % 50 == 0),
            create_time=n,
            update_time=n,
        )
        batch.append(record_of(faq, "", ONLINE))
        if len(batch) == 5000:
            store.insert_faqs(batch)
            batch = []
    if batch:
        store.insert_faqs(batch)


def measure(store: Store, helpdesk_id: str, rounds: int) -> dict[str, float]:
    times = []
    slowest: dict[str, float] = {}
    for _ in range(rounds):
        for terms in QUERIES:
            where = FaqFilter(status=1, terms=terms, count=False)  # as search asks
            start = time.perf_counter()
            store.find_faqs(helpdesk_id, where, 0, 20)
            took = (time.perf_counter() - start) * 1000
            times.append(took)
            name = " ".join(terms)
            slowest[name] = max(slowest.get(name, 0.0), took)
    times.sort()
    print("  slowest per query (ms):", {k: round(v, 1) for k, v in slowest.items()})
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "max_ms": round(times[-1], 2),
        "queries": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faqs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    targets = [] if args.skip_sqlite else [str(Path(tempfile.mkdtemp()) / "faqs.db")]
    if args.postgres:
        targets.append(args.postgres)
    for db in targets:
        store = open_store(db)
        try:
            app = provision.create_app(store, "bench")
            desk = provision.create_helpdesk(store, app.app_id, "bench desk")
            started = time.perf_counter()
            load(store, desk.helpdesk_id, args.faqs)
            loaded = time.perf_counter() - started
            result = measure(store, desk.helpdesk_id, args.rounds)
            kind = "postgres" if db.startswith("postgres") else "sqlite"
            print(f"{kind}: {args.faqs} FAQs loaded in {loaded:.1f} s; {result}")
        finally:
            store.close()


if __name__ == "__main__":
    main()
