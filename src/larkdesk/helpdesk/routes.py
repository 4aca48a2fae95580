"""Thin HTTP handlers for the helpdesk v1 APIs: read parameters, one service call, wrap.

Scopes: reads accept `helpdesk:all:readonly` or `helpdesk:all`; writes (start_service,
ticket update, custom-field create/change/delete) need `helpdesk:all`. Each API has its
own rate-limit counter (docs/api.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import envelope
from ..auth.gateway import Api, Gateway
from ..ratelimit import FEISHU_HELPDESK_LIMITS, START_SERVICE_LIMITS, TICKET_GET_LIMITS
from ..server_limits import (
    FIELD_BODY_BYTES,
    LIST_FIELDS_BODY_BYTES,
    START_SERVICE_BODY_BYTES,
    UPDATE_TICKET_BODY_BYTES,
)
from .bodies import (
    ListFieldsBody,
    StartServiceBody,
    UpdateTicketBody,
    check_start,
    check_update,
    decode_body,
    read_body,
)
from .definitions import FieldBody
from .fields import encode_definition
from .lifecycle import DEFAULT_FIELD_PAGE, MAX_FIELD_PAGE
from .query import group_params, parse_int, parse_ticket_query

if TYPE_CHECKING:
    from ..app import Services

READ_SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
WRITE_SCOPES = ("helpdesk:all",)
LIST_TICKETS = Api("helpdesk.v1.ticket.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
GET_TICKET = Api("helpdesk.v1.ticket.get", READ_SCOPES, TICKET_GET_LIMITS)
UPDATE_TICKET = Api("helpdesk.v1.ticket.update", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
START_SERVICE = Api("helpdesk.v1.ticket.start_service", WRITE_SCOPES, START_SERVICE_LIMITS)
LIST_FIELDS = Api("helpdesk.v1.ticket_customized_field.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
GET_FIELD = Api("helpdesk.v1.ticket_customized_field.get", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
CREATE_FIELD = Api(
    "helpdesk.v1.ticket_customized_field.create", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS
)
PATCH_FIELD = Api("helpdesk.v1.ticket_customized_field.patch", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
DELETE_FIELD = Api(
    "helpdesk.v1.ticket_customized_field.delete", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS
)
TICKETS = "/open-apis/helpdesk/v1/tickets"
FIELDS = "/open-apis/helpdesk/v1/ticket_customized_fields"
FIELD_ID = "ticket_customized_field_id"


class HelpdeskRoutes:
    def __init__(self, gateway: Gateway, services: Services) -> None:
        self._gateway = gateway
        self._service = services.helpdesk
        self._lifecycle = services.lifecycle
        self._fields = services.fields

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
        change = check_update(
            decode_body(await read_body(request, UPDATE_TICKET_BODY_BYTES), UpdateTicketBody)
        )
        await anyio.to_thread.run_sync(
            self._lifecycle.update_ticket,
            caller.helpdesk.helpdesk_id,
            request.path_params["id"],
            change,
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
        body = decode_body(
            await read_body(request, LIST_FIELDS_BODY_BYTES), ListFieldsBody, required=False
        )
        page = await anyio.to_thread.run_sync(
            self._lifecycle.list_customized_fields,
            caller.helpdesk.helpdesk_id,
            page_size,
            token,
            body.visible,
        )
        return envelope.field_page(page.items, page.has_more, page.next_page_token)

    async def create_customized_field(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_FIELD)
        body = decode_body(await read_body(request, FIELD_BODY_BYTES), FieldBody)
        created = await anyio.to_thread.run_sync(
            self._fields.create, caller.helpdesk.helpdesk_id, body
        )
        return envelope.one_field(encode_definition(created))

    async def get_customized_field(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET_FIELD)
        found = await anyio.to_thread.run_sync(
            self._fields.get, caller.helpdesk.helpdesk_id, request.path_params[FIELD_ID]
        )
        return envelope.one_field(encode_definition(found))

    async def patch_customized_field(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH_FIELD)
        body = decode_body(await read_body(request, FIELD_BODY_BYTES), FieldBody)
        await anyio.to_thread.run_sync(
            self._fields.change, caller.helpdesk.helpdesk_id, request.path_params[FIELD_ID], body
        )
        return envelope.success({})

    async def delete_customized_field(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_FIELD)
        await anyio.to_thread.run_sync(
            self._fields.delete, caller.helpdesk.helpdesk_id, request.path_params[FIELD_ID]
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        one_field = f"{FIELDS}/{{{FIELD_ID}}}"
        return [
            Route(TICKETS, self.list_tickets, methods=["GET"]),
            Route(TICKETS + "/{id}", self.get_ticket, methods=["GET"]),
            Route(TICKETS + "/{id}", self.update_ticket, methods=["PUT"]),
            Route("/open-apis/helpdesk/v1/start_service", self.start_service, methods=["POST"]),
            Route(FIELDS, self.list_customized_fields, methods=["GET"]),
            Route(FIELDS, self.create_customized_field, methods=["POST"]),
            Route(one_field, self.get_customized_field, methods=["GET"]),
            Route(one_field, self.patch_customized_field, methods=["PATCH"]),
            Route(one_field, self.delete_customized_field, methods=["DELETE"]),
        ]
