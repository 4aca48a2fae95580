"""Results of bench/run.py: the markdown table, bench/README.md's results section, the plot."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec

from larkdesk import demo

START, END = "<!-- results:start -->", "<!-- results:end -->"
NAMES = ("larkdesk", "datasette", "floor")
MB = 1024 * 1024


@dataclass
class Run:
    tickets: int
    seconds: int
    connections: int
    workers: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    facts: dict[str, Any]
    queries: list[tuple[str, str, str]]  # key, title, how Datasette expresses it
    contestants: dict[str, dict[str, dict[str, float]]]
    rss: dict[str, tuple[int, int]]  # peak (sum over processes, largest process), bytes
    totals: dict[str, int] = field(default_factory=dict)
    date: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))


def default_workers() -> int:
    """What `larkdesk serve --rate-limit off` runs without --workers on this machine."""
    from larkdesk.cli.serve import default_workers as serve_default
    from larkdesk.settings import Settings

    return serve_default(Settings(db="", rate_limit="off"))


def write_ndjson(path: Path, tickets: int) -> None:
    """The demo's tickets in the API's JSON shape, one per line (what `import` reads)."""
    creds = demo.demo_credentials(0)
    world = demo.demo_world(0, creds.tenant_key)
    encode = msgspec.json.Encoder().encode
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        generated = demo.generate_tickets(0, creds.helpdesk_id, world, tickets)
        while chunk := list(islice(generated, 10_000)):
            out.write(b"".join(encode(t) + b"\n" for t in chunk))
    partial.rename(path)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def _commit() -> str:
    try:
        return subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], text=True, cwd=Path(__file__).parent
        ).strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def _cell(run: Run, name: str, key: str) -> list[str]:
    got = run.contestants.get(name, {}).get(key)
    if got is None:
        return ["—", "—", "—"]
    errors = f" ({int(got['errors'])} err)" if got["errors"] else ""
    return [f"{got['rate']:,.0f}{errors}", f"{got['p50_ms']:.1f}", f"{got['p99_ms']:.1f}"]


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def markdown(run: Run) -> str:
    """The results section: conditions, the query table, ingest, memory, the targets."""
    f = run.facts
    lines = [
        f"Run {run.date} on {machine()}, commit {_commit()}. Load average before "
        f"{run.load_before[0]:.2f}, after {run.load_after[0]:.2f} (the two cores are shared: "
        "the ratios within this run are what count). "
        f"{run.tickets:,} demo tickets; wrk -t2 -c{run.connections}, {run.seconds} s per query "
        f"after a warm-up, rate limit off, larkdesk `serve` with {run.workers} worker(s) "
        "(its default here), the floor with as many.",
        "",
        "| query | total | larkdesk req/s | p50 ms | p99 ms | Datasette req/s | p50 ms | p99 ms "
        "| floor req/s | p50 ms | p99 ms | larkdesk ÷ Datasette (req/s) | larkdesk ÷ floor (p99) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, title, _ in run.queries:
        lark = run.contestants.get("larkdesk", {}).get(key, {})
        data = run.contestants.get("datasette", {}).get(key, {})
        flo = run.contestants.get("floor", {}).get(key, {})
        total = run.totals.get(key)
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{key} {title}",
                    f"{total:,}" if total is not None else "—",
                    *_cell(run, "larkdesk", key),
                    *_cell(run, "datasette", key),
                    *_cell(run, "floor", key),
                    _ratio(lark.get("rate"), data.get("rate")),
                    _ratio(lark.get("p99_ms"), flo.get("p99_ms")),
                ]
            )
            + " |"
        )
    notes = [f"{key}: {note}" for key, _, note in run.queries if note]
    lines += [
        "",
        "Datasette's URLs: table view of `tickets`, `helpdesk_id__exact`, "
        "`_sort_desc=created_at`; " + "; ".join(notes) + ".",
    ]
    lines += ["", "| measure | value |", "|---|---|"]
    if "demo_rate" in f:
        lines.append(
            f"| `larkdesk demo --tickets {run.tickets:,}` | {f['demo_seconds']:.1f} s, "
            f"{f['demo_rate']:,.0f} tickets/s |"
        )
    if "import_rate" in f:
        lines.append(
            f"| `larkdesk import` of the same tickets (NDJSON) | {f['import_seconds']:.1f} s, "
            f"{f['import_rate']:,.0f} tickets/s |"
        )
    lines.append(f"| database on disk | {f['db_bytes'] / 1e9:.2f} GB |")
    for name in NAMES:
        if name in run.rss:
            total, one = run.rss[name]
            lines.append(
                f"| peak RSS, {name} (all processes / largest) | {total / MB:,.0f} MB / "
                f"{one / MB:,.0f} MB |"
            )
    return "\n".join([*lines, "", *targets(run)])


def targets(run: Run) -> list[str]:
    """Issue 6's targets, each with its verdict in this run."""
    lark, data, flo = (run.contestants.get(n, {}) for n in ("larkdesk", "datasette", "floor"))
    keys = [key for key, _, _ in run.queries]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    low = [k for k in keys if k in lark and k in data and lark[k]["rate"] < 3 * data[k]["rate"]]
    slow = [
        k for k in keys if k in lark and k in flo and lark[k]["p99_ms"] > 1.5 * flo[k]["p99_ms"]
    ]
    lines = ["Targets (issue 6), in this run:", ""]
    if data:
        lines.append(
            f"- larkdesk ≥ 3× Datasette's requests/s on every query: {verdict(not low)}"
            + (f" (below on {', '.join(low)})" if low else "")
        )
    if flo:
        lines.append(
            f"- larkdesk p99 ≤ 1.5× the floor's on every query: {verdict(not slow)}"
            + (f" (above on {', '.join(slow)})" if slow else "")
        )
    if "Q2" in lark and "Q4" in lark:
        q2, q4 = lark["Q2"], lark["Q4"]
        lines.append(
            f"- Q4 (page 50) no slower than Q2: {verdict(q4['p50_ms'] <= q2['p50_ms'])} "
            f"(p50 {q4['p50_ms']:.1f} vs {q2['p50_ms']:.1f} ms, {q4['rate']:,.0f} vs "
            f"{q2['rate']:,.0f} req/s)"
        )
    if "demo_rate" in run.facts:
        rate = run.facts["demo_rate"]
        lines.append(f"- demo ≥ 50,000 tickets/s: {verdict(rate >= 50_000)} ({rate:,.0f}/s)")
    if "larkdesk" in run.rss:
        total = run.rss["larkdesk"][0] / MB
        lines.append(
            f"- server RSS < 500 MB: {verdict(total < 500)} ({total:,.0f} MB, all processes)"
        )
    return lines


def plot(run: Run, path: Path) -> None:
    """Grouped bars: p99 per query per contestant (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [key for key, _, _ in run.queries]
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    width = 0.27
    for i, name in enumerate(NAMES):
        values = [run.contestants.get(name, {}).get(k, {}).get("p99_ms", 0) for k in keys]
        bars = ax.bar([x + (i - 1) * width for x in range(len(keys))], values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.0f}" if v else "" for v in values], fontsize=7)
    ax.set_xticks(range(len(keys)), keys)
    ax.set_yscale("log")
    ax.set_ylabel("p99 latency, ms (log scale)")
    ax.set_title(
        f"{run.tickets:,} tickets, wrk -c{run.connections}, {run.date} (lower is better)",
        fontsize=9,
    )
    ax.legend(loc="upper center", ncols=3, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(run: Run, folder: Path) -> None:
    """Replace the results section of bench/README.md and redraw bench/p99.png."""
    readme = folder / "README.md"
    text = readme.read_text("utf-8")
    section = f"{START}\n{markdown(run)}\n\n![p99 per query](p99.png)\n{END}"
    if START in text:
        text = re.sub(f"{re.escape(START)}.*{re.escape(END)}", lambda _: section, text, flags=re.S)
    else:
        text += f"\n## Latest run of bench/run.py\n\n{section}\n"
    readme.write_text(text, "utf-8")
    plot(run, folder / "p99.png")


def baseline_table(run: Run) -> str:
    """larkdesk against an earlier version of itself ("baseline", `run.py --baseline`),
    measured in turn with it on the same database: req/s and p99, and their ratios."""
    rows = [
        "| query | baseline req/s | p99 ms | larkdesk req/s | p99 ms | req/s after ÷ before "
        "| p99 after ÷ before |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, title, _ in run.queries:
        old = run.contestants.get("baseline", {}).get(key, {})
        new = run.contestants.get("larkdesk", {}).get(key, {})
        rows.append(
            "| "
            + " | ".join(
                [
                    f"{key} {title}",
                    *_cell(run, "baseline", key)[::2],
                    *_cell(run, "larkdesk", key)[::2],
                    _ratio(new.get("rate"), old.get("rate")),
                    _ratio(new.get("p99_ms"), old.get("p99_ms")),
                ]
            )
            + " |"
        )
    return "\n".join(rows)
