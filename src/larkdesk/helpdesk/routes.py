"""Thin HTTP handlers for the helpdesk v1 APIs: read parameters, one service call, wrap."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import envelope
from ..auth.gateway import Api, Gateway
from ..ratelimit import FEISHU_HELPDESK_LIMITS
from .query import parse_ticket_query
from .service import HelpdeskService

READ_SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
LIST_TICKETS = Api("helpdesk.v1.ticket.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)


class HelpdeskRoutes:
    def __init__(self, gateway: Gateway, service: HelpdeskService) -> None:
        self._gateway = gateway
        self._service = service

    async def list_tickets(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_TICKETS)
        query = parse_ticket_query(request.query_params.multi_items())
        page = await anyio.to_thread.run_sync(
            self._service.list_tickets, caller.helpdesk.helpdesk_id, query
        )
        return envelope.ticket_page(page.total, page.tickets)

    def routes(self) -> list[Route]:
        return [Route("/open-apis/helpdesk/v1/tickets", self.list_tickets, methods=["GET"])]
