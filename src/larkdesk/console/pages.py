"""The console's pages that read: helpdesks, tickets (and their CSV), one ticket,
metrics, events. Handlers are thin: check the session, one read, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from ..errors import BadRequest, FeishuError
from ..helpdesk.messages.bodies import ImageQuery
from ..helpdesk.messages.content import AGENT, BOT, GUEST, decode_stored
from ..helpdesk.messages.service import TicketMessages
from ..helpdesk.models import STATUSES, Comments
from ..helpdesk.stored import read_stored
from ..helpdesk.tickets.lifecycle import TicketLifecycle
from ..store.base import Helpdesk, Store
from . import listing
from .charts import metrics_context
from .rollup_metrics import RollupCache
from .warmup import RollupWarmup
from .web import PREFIX, Page, Web, secured

MESSAGES_SHOWN = 500
SENDERS = {GUEST: "guest", AGENT: "agent", BOT: "bot"}
_decode_any = msgspec.json.Decoder().decode
Handler = Callable[[Request, Page, Helpdesk], Any]


def signin_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return secured(RedirectResponse(f"{PREFIX}/signin?next={_quote(target)}", status_code=303))


def _quote(text: str) -> str:
    return quote(text, safe="")


class Pages:
    def __init__(
        self, web: Web, store: Store, lifecycle: TicketLifecycle, messages: TicketMessages
    ) -> None:
        self.web = web
        self.store = store
        self.lifecycle = lifecycle
        self.messages = messages
        self.rollups = RollupCache()  # this process's copies of the metrics rollups
        self.warmup = RollupWarmup(store, self.rollups)  # started with the app

    async def desk(self, request: Request) -> tuple[Page, Helpdesk | None, Response | None]:
        """The page and its helpdesk, or the response that refuses it."""
        page = await self.web.page(request)
        if page.session is None:
            return page, None, signin_redirect(request)
        helpdesk = await self.web.helpdesk(page, request.path_params["helpdesk_id"])
        if helpdesk is None:
            return page, None, self.web.render(page, "refused.html", status=403)
        return page, helpdesk, None

    async def home(self, request: Request) -> Response:
        page = await self.web.page(request)
        if page.session is None:
            return signin_redirect(request)
        helpdesks = await self.web.helpdesks(page)
        if len(helpdesks) == 1:
            to = f"{PREFIX}/h/{helpdesks[0].helpdesk_id}/tickets"
            return secured(RedirectResponse(to, status_code=303))
        return self.web.render(page, "home.html", helpdesks=helpdesks)

    async def tickets(self, request: Request) -> Response:
        page, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        try:
            view = listing.parse_view(request.query_params.multi_items())
        except BadRequest as exc:
            return self.web.render(
                page,
                "tickets.html",
                status=400,
                helpdesk=helpdesk,
                error=exc.message,
                view=listing.parse_view([]),
                rows=[],
                more=False,
                total=0,
                next_after="",
                statuses=STATUSES,
            )
        total = await anyio.to_thread.run_sync(
            listing.total_of, self.store, helpdesk.helpdesk_id, view
        )
        rows, more = await anyio.to_thread.run_sync(
            listing.page_of, self.store, helpdesk.helpdesk_id, view, total
        )
        return self.web.render(
            page,
            "tickets.html",
            helpdesk=helpdesk,
            view=view,
            rows=[(row, read_stored(row.body)) for row in rows],
            more=more,
            total=listing.total_text(view, total),
            next_after=listing.cursor_of(rows[-1]) if rows and more else "",
            statuses=STATUSES,
            error=None,
        )

    async def tickets_csv(self, request: Request) -> Response:
        _, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        try:
            view = listing.parse_view(request.query_params.multi_items())
        except BadRequest as exc:
            return secured(Response(exc.message, status_code=400, media_type="text/plain"))
        name = f"tickets-{helpdesk.helpdesk_id}.csv"
        return secured(
            StreamingResponse(
                listing.csv_chunks(self.store, helpdesk.helpdesk_id, view),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": f'attachment; filename="{name}"'},
            )
        )

    async def ticket(self, request: Request, error: str | None = None) -> Response:
        page, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        ticket_id = request.path_params["ticket_id"]
        try:
            context = await anyio.to_thread.run_sync(self._ticket, helpdesk, ticket_id)
        except FeishuError:
            return self.web.render(page, "missing.html", status=404, helpdesk=helpdesk)
        return self.web.render(
            page,
            "ticket.html",
            status=400 if error else 200,
            helpdesk=helpdesk,
            error=error,
            statuses=STATUSES,
            **context,
        )

    def _ticket(self, helpdesk: Helpdesk, ticket_id: str) -> dict[str, Any]:
        body = self.lifecycle.get_ticket(helpdesk.helpdesk_id, ticket_id)
        raw = _decode_any(body)
        ticket = read_stored(body)
        page = self.store.list_messages(helpdesk.helpdesk_id, ticket_id, None, 0, MESSAGES_SHOWN)
        messages = [decode_stored(m) for m in (page.messages if page else [])]
        comments = [
            msgspec.json.decode(c, type=Comments) for c in self.store.list_comments(ticket_id)
        ]
        events = self.store.helpdesk_event_log(helpdesk.helpdesk_id, ticket_id, 50)
        history = self.store.ticket_history(helpdesk.helpdesk_id, ticket_id) or []
        fields = [
            (
                key,
                value
                if isinstance(value, str | int | float)
                else msgspec.json.encode(value).decode(),
            )
            for key, value in raw.items()
            if key not in ("customized_fields", "tags", "comments")
        ]
        current = {f.id: f.value or "" for f in ticket.customized_fields or () if f.id}
        editable = [
            (
                d.ticket_customized_field_id,
                d.display_name or d.key_name or "",
                sorted(d.choices()) if d.field_type == "dropdown" else None,
                current.get(d.ticket_customized_field_id, ""),
            )
            for d in self.lifecycle.definitions(helpdesk.helpdesk_id).values()
            if d.editable is not False
        ]
        return {
            "editable_fields": editable,
            "ticket": ticket,
            "fields": fields,
            "messages": messages,
            "senders": SENDERS,
            "comments": comments,
            "history": history,
            "events": events,
            "tag_text": ", ".join(t.name or "" for t in ticket.tags or ()),
        }

    async def image(self, request: Request) -> Response:
        """An image of the ticket's conversation (as `GET .../ticket_images` serves it)."""
        _, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        params = request.path_params
        try:
            query = ImageQuery(params["ticket_id"], params["msg_id"], int(params["index"]))
            image = await anyio.to_thread.run_sync(self.messages.image, helpdesk.helpdesk_id, query)
        except (FeishuError, ValueError):
            return secured(Response("no such image", status_code=404, media_type="text/plain"))
        response = secured(Response(image.data, media_type=image.content_type))
        response.headers["cache-control"] = "private, max-age=3600"
        return response

    async def metrics(self, request: Request) -> Response:
        page, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        try:
            start, end = period_of(
                request.query_params.get("start"), request.query_params.get("end")
            )
        except BadRequest as exc:
            yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
            return self.web.render(
                page,
                "refused.html",
                status=400,
                error=exc.message,
                helpdesk=helpdesk,
                start=yesterday,
                end=yesterday,
            )
        metrics = await anyio.to_thread.run_sync(
            self.rollups.metrics, self.store, helpdesk.helpdesk_id, start, end
        )
        base = f"{PREFIX}/h/{helpdesk.helpdesk_id}/tickets"
        return self.web.render(
            page,
            "metrics.html",
            helpdesk=helpdesk,
            m=metrics,
            start=start,
            end=end,
            **metrics_context(metrics, base, page.lang),
        )

    async def events(self, request: Request, note: str | None = None) -> Response:
        page, helpdesk, refused = await self.desk(request)
        if refused is not None or helpdesk is None:
            return refused or Response(status_code=500)
        log = await anyio.to_thread.run_sync(
            self.store.helpdesk_event_log, helpdesk.helpdesk_id, None, 200
        )
        return self.web.render(page, "events.html", helpdesk=helpdesk, log=log, note=note)


def period_of(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The metrics period: the given UTC days, else the 30 days ending yesterday."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    last = _date("end", end) if end else yesterday
    first = _date("start", start) if start else last - dt.timedelta(days=29)
    if first > last:
        raise BadRequest(f"start ({first}) must not be after end ({last})")
    if (last - first).days > 366:
        raise BadRequest("a period is at most 367 days")
    return first, last


def _date(name: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, got {text!r}") from None
