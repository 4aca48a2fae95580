"""A walk through every console page in Chromium (Playwright), shared by the browser test
(tests/test_console_browser.py), the bench (bench/console_pages.py: first paint on a
million tickets) and the README's screenshots (bench/console_pages.py --screenshots):
sign-in, tickets, one ticket, metrics, events. For each page: its first contentful paint
as the browser reports it (`performance.getEntriesByType('paint')`), and optionally a
1280x800 PNG."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGES = ("signin", "tickets", "ticket", "metrics", "events")
VIEWPORT = {"width": 1280, "height": 800}
PAINT = """() => {
  const paints = performance.getEntriesByType('paint');
  const first = paints.find(p => p.name === 'first-contentful-paint')
    || paints.find(p => p.name === 'first-paint');
  return first ? first.startTime : null;
}"""


@dataclass(frozen=True, slots=True)
class Desk:
    """Where the tour goes: the server, a helpdesk, one of its tickets, a metrics period."""

    base_url: str
    helpdesk_id: str
    ticket_id: str
    metrics_query: str = ""  # e.g. "start=2026-10-01&end=2026-10-31"


def paths(desk: Desk) -> dict[str, str]:
    home = f"/console/h/{desk.helpdesk_id}"
    metrics = f"{home}/metrics" + (f"?{desk.metrics_query}" if desk.metrics_query else "")
    return {
        "signin": "/console/signin",
        "tickets": f"{home}/tickets",
        "ticket": f"{home}/tickets/{desk.ticket_id}",
        "metrics": metrics,
        "events": f"{home}/events",
    }


def first_paint(page: Any) -> float:
    """The page's first contentful paint, ms after its navigation started."""
    painted = page.evaluate(PAINT)
    if painted is None:  # the entry is queued just after the paint itself
        page.wait_for_function(PAINT)
        painted = page.evaluate(PAINT)
    return float(painted)


def operator_sign_in(token: str) -> Callable[[Any], None]:
    """Sign in on the sign-in page with an operator token (`larkdesk console token`)."""

    def sign_in(page: Any) -> None:
        page.fill("input[name=operator_token]", token)
        page.click("#sign-in")
        page.wait_for_load_state()
        refused = page.locator("[role=alert]")
        assert refused.count() == 0, refused.all_inner_texts()

    return sign_in


def tour(
    context: Any, desk: Desk, sign_in: Callable[[Any], None], shots: Path | None = None
) -> dict[str, float]:
    """Visit every page once (signing in after the sign-in page): each page's first
    paint in ms; with `shots`, a screenshot of each as shots/NAME.png."""
    page = context.new_page()
    page.set_viewport_size(VIEWPORT)
    painted: dict[str, float] = {}
    for name, path in paths(desk).items():
        page.goto(desk.base_url + path)
        page.wait_for_load_state("load")
        assert page.url.endswith(path), (name, page.url)  # not sent back to sign in
        painted[name] = first_paint(page)
        if name == "metrics":
            page.wait_for_selector("body[data-charts=ready]")
        if shots is not None:
            page.screenshot(path=str(shots / f"{name}.png"))
        if name == "signin":
            sign_in(page)
    page.close()
    return painted
