"""Thin HTTP handlers for the ticket APIs: read parameters, one service call, wrap.

Reads accept `helpdesk:all:readonly` or `helpdesk:all`; writes (start_service, update)
need `helpdesk:all`. Each API has its own rate-limit counter (docs/api.md).
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Caller, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS, START_SERVICE_LIMITS, TICKET_GET_LIMITS
from ...server import envelope
from ...server.limits import START_SERVICE_BODY_BYTES, UPDATE_TICKET_BODY_BYTES
from ...store.base import Actor, TicketQuery
from ..json_body import decode_body, read_body
from ..scopes import READ_SCOPES, WRITE_SCOPES
from .bodies import StartServiceBody, UpdateTicketBody, check_start, check_update
from .lifecycle import TicketLifecycle
from .pages import PageCache
from .query import parse_ticket_query
from .service import HelpdeskService
from .shapes import Shape

LIST_TICKETS = Api("helpdesk.v1.ticket.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
GET_TICKET = Api("helpdesk.v1.ticket.get", READ_SCOPES, TICKET_GET_LIMITS)
UPDATE_TICKET = Api(
    "helpdesk.v1.ticket.update", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS, user_token=True
)
START_SERVICE = Api("helpdesk.v1.ticket.start_service", WRITE_SCOPES, START_SERVICE_LIMITS)
TICKETS = "/open-apis/helpdesk/v1/tickets"
MAX_PARSED = 1024  # distinct list query strings kept parsed per process
START_SERVICE_PATH = "/open-apis/helpdesk/v1/start_service"


def actor_of(caller: Caller) -> Actor:
    """Who an API call acts as, for the status and stage history."""
    if caller.user is not None:
        return Actor("user", caller.user.id or "", caller.user.name or "", "api")
    return Actor("app", caller.app.app_id, caller.app.name, "api")


class TicketRoutes:
    """The ticket APIs' handlers, on the services they are given."""

    def __init__(
        self,
        gateway: Gateway,
        tickets: HelpdeskService,
        lifecycle: TicketLifecycle,
        shape: Shape | None = None,
        pages: PageCache | None = None,
    ) -> None:
        self._gateway = gateway
        self._tickets = tickets
        self._lifecycle = lifecycle
        self._shape = shape  # None: the documented shape, as stored (`shapes.shape_of`)
        self._pages = pages  # rendered pages, while the database is unchanged (`pages`)
        self._parsed: dict[bytes, TicketQuery] = {}  # raw query string -> its valid query

    def _query(self, request: Request) -> TicketQuery:
        """The list query of `request`, parsed once per distinct raw query string (a bad
        one raises each time: only valid ones are kept)."""
        raw: bytes = request.scope.get("query_string", b"")
        query = self._parsed.get(raw)
        if query is None:
            query = parse_ticket_query(request.query_params.multi_items())
            if len(self._parsed) >= MAX_PARSED:
                self._parsed.clear()
            self._parsed[raw] = query
        return query

    async def list_tickets(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_TICKETS)
        query = self._query(request)
        key = (caller.helpdesk.helpdesk_id, query)
        version = None if self._pages is None else await self._pages.refresh()  # before the query
        if version is not None and self._pages is not None:
            body = self._pages.get(key)
            if body is not None:
                return envelope.json_response(body)
        page = await anyio.to_thread.run_sync(
            self._tickets.list_tickets, caller.helpdesk.helpdesk_id, query
        )
        tickets = page.tickets
        if self._shape is not None:
            tickets = [self._shape(ticket) for ticket in tickets]
        body = envelope.ticket_page_body(page.total, tickets)
        if version is not None and self._pages is not None:
            self._pages.put(key, version, body)
        return envelope.json_response(body)

    async def get_ticket(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_TICKET)
        ticket = await anyio.to_thread.run_sync(
            self._lifecycle.get_ticket, caller.helpdesk.helpdesk_id, request.path_params["id"]
        )
        return envelope.one_ticket(ticket if self._shape is None else self._shape(ticket))

    async def update_ticket(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, UPDATE_TICKET)
        change = check_update(
            decode_body(await read_body(request, UPDATE_TICKET_BODY_BYTES), UpdateTicketBody)
        )
        await anyio.to_thread.run_sync(
            self._lifecycle.update_ticket,
            caller.helpdesk.helpdesk_id,
            request.path_params["id"],
            change,
            caller.user,  # a user access token's user acts (closes, comments)
            actor_of(caller),
        )
        return envelope.success({})

    async def start_service(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, START_SERVICE)
        body = check_start(
            decode_body(await read_body(request, START_SERVICE_BODY_BYTES), StartServiceBody)
        )
        started = await anyio.to_thread.run_sync(
            self._lifecycle.start_service,
            caller.helpdesk.helpdesk_id,
            caller.helpdesk.tenant_key,
            body,
            actor_of(caller),
        )
        return envelope.success({"chat_id": started.chat_id, "ticket_id": started.ticket_id})

    def routes(self) -> list[Route]:
        """The ticket APIs' part of the route table."""
        return [
            Route(TICKETS, self.list_tickets, methods=["GET"]),
            Route(TICKETS + "/{id}", self.get_ticket, methods=["GET"]),
            Route(TICKETS + "/{id}", self.update_ticket, methods=["PUT"]),
            Route(START_SERVICE_PATH, self.start_service, methods=["POST"]),
        ]
