"""`GET /open-apis/helpdesk/v1/customized_fields`: the helpdesk's user and ticket custom
fields in one answer (lark-oapi's `CustomizedFieldsTicketResponseBody`).

larkdesk keeps no user custom fields (Feishu's are set up in its console, and no API
defines them), so `user_customized_fields` is always `[]`; `ticket_customized_fields` are
the definitions of `.../ticket_customized_fields`, by position. `visible_only=true` keeps
the visible ones.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...errors import BadRequest
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ...store.base import Store
from ..params import group_params, shown
from ..scopes import READ_SCOPES
from ..surface import PREFIX
from .bodies import decode_definition

CUSTOMIZED_FIELDS = Api("helpdesk.v1.ticket.customized_fields", READ_SCOPES, FEISHU_HELPDESK_LIMITS)


class CustomizedFieldsRoutes:
    def __init__(self, gateway: Gateway, store: Store) -> None:
        self._gateway = gateway
        self._store = store

    def _definitions(self, helpdesk_id: str, visible_only: bool) -> list[bytes]:
        records = self._store.list_customized_fields(helpdesk_id)
        return [r.body for r in records if not visible_only or decode_definition(r.body).visible]

    async def customized_fields(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CUSTOMIZED_FIELDS)
        values = group_params(request.query_params.multi_items()).get("visible_only") or ["false"]
        if values[0].lower() not in ("true", "false"):
            raise BadRequest(f"visible_only must be true or false, got {shown(values[0])}")
        bodies = await anyio.to_thread.run_sync(
            self._definitions, caller.helpdesk.helpdesk_id, values[0].lower() == "true"
        )
        return envelope.json_response(
            b'{"code":0,"msg":"success","data":{"user_customized_fields":[],'
            b'"ticket_customized_fields":[' + b",".join(bodies) + b"]}}"
        )

    def routes(self) -> list[Route]:
        return [Route(PREFIX + "/customized_fields", self.customized_fields, methods=["GET"])]
