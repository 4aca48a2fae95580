"""Thin HTTP handlers for the helpdesk v1 APIs: read parameters, one service call, wrap.

Scopes: reads accept `helpdesk:all:readonly` or `helpdesk:all`; writes (start_service,
ticket update) need `helpdesk:all`. Each API has its own rate-limit counter (docs/api.md).
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import envelope
from ..auth.gateway import Api, Gateway
from ..ratelimit import FEISHU_HELPDESK_LIMITS, START_SERVICE_LIMITS
from .bodies import (
    ListFieldsBody,
    StartServiceBody,
    UpdateTicketBody,
    check_start,
    check_update,
    decode_body,
    read_body,
)
from .lifecycle import DEFAULT_FIELD_PAGE, MAX_FIELD_PAGE, TicketLifecycle
from .query import group_params, parse_int, parse_ticket_query
from .service import HelpdeskService

READ_SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
WRITE_SCOPES = ("helpdesk:all",)
LIST_TICKETS = Api("helpdesk.v1.ticket.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
GET_TICKET = Api("helpdesk.v1.ticket.get", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
UPDATE_TICKET = Api("helpdesk.v1.ticket.update", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
START_SERVICE = Api("helpdesk.v1.ticket.start_service", WRITE_SCOPES, START_SERVICE_LIMITS)
LIST_FIELDS = Api("helpdesk.v1.ticket_customized_field.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
TICKETS = "/open-apis/helpdesk/v1/tickets"


class HelpdeskRoutes:
    def __init__(
        self, gateway: Gateway, service: HelpdeskService, lifecycle: TicketLifecycle
    ) -> None:
        self._gateway = gateway
        self._service = service
        self._lifecycle = lifecycle

    async def list_tickets(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_TICKETS)
        query = parse_ticket_query(request.query_params.multi_items())
        page = await anyio.to_thread.run_sync(
            self._service.list_tickets, caller.helpdesk.helpdesk_id, query
        )
        return envelope.ticket_page(page.total, page.tickets)

    async def get_ticket(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_TICKET)
        ticket = await anyio.to_thread.run_sync(
            self._lifecycle.get_ticket, caller.helpdesk.helpdesk_id, request.path_params["id"]
        )
        return envelope.one_ticket(ticket)

    async def update_ticket(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, UPDATE_TICKET)
        change = check_update(decode_body(await read_body(request), UpdateTicketBody))
        await anyio.to_thread.run_sync(
            self._lifecycle.update_ticket,
            caller.helpdesk.helpdesk_id,
            request.path_params["id"],
            change,
        )
        return envelope.success({})

    async def start_service(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, START_SERVICE)
        body = check_start(decode_body(await read_body(request), StartServiceBody))
        started = await anyio.to_thread.run_sync(
            self._lifecycle.start_service,
            caller.helpdesk.helpdesk_id,
            caller.helpdesk.tenant_key,
            body,
        )
        return envelope.success({"chat_id": started.chat_id, "ticket_id": started.ticket_id})

    async def list_customized_fields(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_FIELDS)
        params = group_params(request.query_params.multi_items())
        size = params.get("page_size")
        page_size = (
            parse_int("page_size", size[0], 1, MAX_FIELD_PAGE) if size else DEFAULT_FIELD_PAGE
        )
        token = params["page_token"][0] if params.get("page_token") else None
        body = decode_body(await read_body(request), ListFieldsBody, required=False)
        page = await anyio.to_thread.run_sync(
            self._lifecycle.list_customized_fields,
            caller.helpdesk.helpdesk_id,
            page_size,
            token,
            body.visible,
        )
        return envelope.field_page(page.items, page.has_more, page.next_page_token)

    def routes(self) -> list[Route]:
        return [
            Route(TICKETS, self.list_tickets, methods=["GET"]),
            Route(TICKETS + "/{id}", self.get_ticket, methods=["GET"]),
            Route(TICKETS + "/{id}", self.update_ticket, methods=["PUT"]),
            Route("/open-apis/helpdesk/v1/start_service", self.start_service, methods=["POST"]),
            Route(
                "/open-apis/helpdesk/v1/ticket_customized_fields",
                self.list_customized_fields,
                methods=["GET"],
            ),
        ]
