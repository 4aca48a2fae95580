"""The metrics page's drill-down links and chart data: every number and every chart
element carries the URL of the tickets page showing the tickets behind it."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from . import i18n
from .metrics import Metrics

WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
}
CLOSED = (("status_list", "50"), ("status_list", "51"), ("status_list", "52"))
TOP = 15


def drill(base: str, start: dt.date, end: dt.date, *items: tuple[str, str]) -> str:
    """The tickets page of the tickets created from `start` to `end` with `items` (the
    same as urlencode of them all; a page has hundreds of these, so quoted directly)."""
    url = f"{base}?created_from={start.isoformat()}&created_to={end.isoformat()}"
    return url + "".join(f"&{k}={_quoted(v)}" for k, v in items)


_quoted = lru_cache(maxsize=8192)(quote_plus)  # agent ids, tags, days: the same every view


def metrics_context(m: Metrics, base: str, lang: str) -> dict[str, Any]:
    """Drill URLs for the numbers, the per-agent table and the charts' JSON."""
    t = i18n.translator(lang)
    s, e = m.start, m.end
    links: dict[str, Any] = {
        "created": drill(base, s, e),
        "ended": drill(base, s, e, *CLOSED),
        "bot_ended": drill(base, s, e, ("type", "1"), *CLOSED),
        "human": drill(base, s, e, ("type", "2")),
        "agent": {a: drill(base, s, e, ("agent_id", a)) for a in m.agents},
        "agent_satisfied": {
            a: drill(base, s, e, ("agent_id", a), ("score", "3")) for a in m.agents
        },
        "reason": {r: drill(base, s, e, ("reason", r)) for r in m.reasons},
        "weekday": drill(base, s, e, ("weekday", str(m.busiest_weekday)))
        if m.busiest_weekday is not None
        else drill(base, s, e),
        "hour": drill(base, s, e, ("hour", str(m.busiest_hour)))
        if m.busiest_hour is not None
        else drill(base, s, e),
    }
    score_links = [drill(base, s, e, ("score", str(n))) for n in (1, 2, 3)]
    links["score"] = score_links
    days = m.days()
    day_links = [drill(base, dt.date.fromisoformat(d), dt.date.fromisoformat(d)) for d in days]
    bot_links = [
        drill(base, dt.date.fromisoformat(d), dt.date.fromisoformat(d), ("type", "1"), *CLOSED)
        for d in days
    ]
    names = WEEKDAYS[lang]
    heat = [[hour, weekday, n] for (weekday, hour), n in m.heat.items()]
    heat_links = {
        f"{weekday},{hour}": drill(base, s, e, ("weekday", str(weekday)), ("hour", str(hour)))
        for (weekday, hour) in m.heat
    }
    tags = m.tags.most_common(TOP)
    channels = sorted(m.channels.items())
    cities = m.cities.most_common(TOP)
    charts = {
        "trend": {
            "days": days,
            "created": [m.daily_created[d] for d in days],
            "bot": [m.daily_bot_ended[d] for d in days],
            "links": day_links,
            "bot_links": bot_links,
            "labels": [t("created_count"), t("bot_rate")],
        },
        "heat": {"data": heat, "weekdays": list(names), "links": heat_links},
        "tags": {
            "names": [name for name, _ in tags],
            "counts": [n for _, n in tags],
            "links": [drill(base, s, e, ("tags", name)) for name, _ in tags],
        },
        "channels": {
            "names": [str(c) for c, _ in channels],
            "counts": [n for _, n in channels],
            "links": [drill(base, s, e, ("channel", str(c))) for c, _ in channels],
        },
        "cities": {
            "names": [c for c, _ in cities],
            "counts": [n for _, n in cities],
            "links": [drill(base, s, e, ("city", c)) for c, _ in cities],
        },
        "scores": {
            "names": [t("unsatisfied"), t("neutral"), t("satisfied")],
            "counts": [m.scores[1], m.scores[2], m.scores[3]],
            "links": score_links,
        },
    }
    return {
        "links": links,
        "charts": charts,
        "frt": (m.frt(0.5), m.frt(0.9)),
        "resolution": (m.resolution(0.5), m.resolution(0.9)),
        "weekday_name": names[m.busiest_weekday] if m.busiest_weekday is not None else "–",
        "agents": sorted(m.agents.values(), key=lambda a: (-a.tickets, a.agent_id)),
    }
