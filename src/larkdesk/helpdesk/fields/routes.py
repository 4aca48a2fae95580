"""Thin HTTP handlers for the custom-field APIs (`.../ticket_customized_fields`): read
parameters, one service call, wrap.

Reads accept `helpdesk:all:readonly` or `helpdesk:all`; create, change and delete need
`helpdesk:all`. Each API has its own rate-limit counter (docs/api.md).
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ...server.limits import FIELD_BODY_BYTES, LIST_FIELDS_BODY_BYTES
from ..json_body import decode_body, read_body
from ..params import group_params, parse_int
from ..scopes import READ_SCOPES, WRITE_SCOPES
from .bodies import FieldBody, ListFieldsBody, encode_definition
from .service import DEFAULT_FIELD_PAGE, MAX_FIELD_PAGE, FieldDefinitions

_FIELD = "helpdesk.v1.ticket_customized_field."
LIST_FIELDS = Api(_FIELD + "list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
GET_FIELD = Api(_FIELD + "get", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
CREATE_FIELD = Api(_FIELD + "create", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS, user_token=True)
PATCH_FIELD = Api(_FIELD + "patch", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS, user_token=True)
DELETE_FIELD = Api(_FIELD + "delete", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS, user_token=True)
FIELDS = "/open-apis/helpdesk/v1/ticket_customized_fields"
FIELD_ID = "ticket_customized_field_id"


class FieldRoutes:
    """The custom-field APIs' handlers, on the definitions service they are given."""

    def __init__(self, gateway: Gateway, fields: FieldDefinitions) -> None:
        self._gateway = gateway
        self._fields = fields

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
            self._fields.list_customized_fields,
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
            self._fields.create, caller.helpdesk.helpdesk_id, body, caller.user
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
            self._fields.change,
            caller.helpdesk.helpdesk_id,
            request.path_params[FIELD_ID],
            body,
            caller.user,
        )
        return envelope.success({})

    async def delete_customized_field(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, DELETE_FIELD)
        await anyio.to_thread.run_sync(
            self._fields.delete, caller.helpdesk.helpdesk_id, request.path_params[FIELD_ID]
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        """The custom-field APIs' part of the route table."""
        one_field = f"{FIELDS}/{{{FIELD_ID}}}"
        return [
            Route(FIELDS, self.list_customized_fields, methods=["GET"]),
            Route(FIELDS, self.create_customized_field, methods=["POST"]),
            Route(one_field, self.get_customized_field, methods=["GET"]),
            Route(one_field, self.patch_customized_field, methods=["PATCH"]),
            Route(one_field, self.delete_customized_field, methods=["DELETE"]),
        ]
