"""The floor: the least Python that can answer the list API's queries.

No auth, no validation, no middleware: read the query string, run the same SQL
larkdesk runs (its store), splice the stored JSON into the envelope.
Run with: uvicorn --factory bench.floor:create --env LARKDESK_DB=...
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread

from larkdesk.settings import default_db
from larkdesk.store import open_store
from larkdesk.store.base import Store, TicketQuery, Window


def _query(raw: str) -> TicketQuery:
    items: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw):
        items.setdefault(key.removesuffix("[]"), []).extend(value.split(","))

    def one(key: str) -> str | None:
        return items[key][0] if key in items else None

    def number(key: str) -> int | None:
        value = one(key)
        return int(value) if value is not None else None

    def window(prefix: str) -> Window | None:
        start, end = number(f"{prefix}_start"), number(f"{prefix}_end")
        return Window(start, end) if start is not None and end is not None else None

    return TicketQuery(
        agent_id=one("agent_id"),
        guest_name=one("guest_name"),
        statuses=tuple(int(s) for s in items.get("status_list", [])),
        tags=tuple(items.get("tags", [])),
        created=window("create_time"),
        updated=window("update_time"),
        page=number("page") or 1,
        page_size=number("page_size") or 20,
    )


def _page(store: Store, helpdesk_id: str, query: TicketQuery) -> bytes:
    page = store.list_tickets(helpdesk_id, query)
    head = b'{"code":0,"msg":"success","data":{"total":%d,"tickets":[' % page.total
    return head + b",".join(page.tickets) + b"]}}"


def create() -> Any:
    store = open_store(default_db())
    helpdesk_id = os.environ["FLOOR_HELPDESK_ID"]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        query = _query(scope["query_string"].decode())
        body = await anyio.to_thread.run_sync(_page, store, helpdesk_id, query)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app
