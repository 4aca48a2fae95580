"""The only code that writes response bodies: `{"code", "msg", "data"}` and errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from starlette.responses import Response

from ..errors import FeishuError

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
TROUBLESHOOTER = "https://open.feishu.cn/search?from=openapi&log_id={log_id}&code={code}"

_encode = msgspec.json.Encoder().encode


def json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response carrying an already-encoded JSON body."""
    return Response(body, status_code=status, media_type=JSON_MEDIA_TYPE, headers=headers)


def success(data: Any, msg: str = "success") -> Response:
    """`{"code": 0, "msg": msg, "data": data}`."""
    return json_response(_encode({"code": 0, "msg": msg, "data": data}))


def bare(fields: dict[str, Any]) -> Response:
    """A body without `data`, as Feishu's token endpoints answer."""
    return json_response(_encode(fields))


def ticket_page(total: int, tickets: Sequence[bytes]) -> Response:
    """The list API's success response, spliced from each ticket's stored wire JSON."""
    return json_response(ticket_page_body(total, tickets))


def ticket_page_body(total: int, tickets: Sequence[bytes]) -> bytes:
    """The list API's success body, spliced from each ticket's stored wire JSON."""
    head = b'{"code":0,"msg":"success","data":{"total":%d,"tickets":[' % total
    return head + b",".join(tickets) + b"]}}"


def one_ticket(ticket: bytes) -> Response:
    """`data.ticket`, spliced from the ticket's stored wire JSON."""
    return json_response(b'{"code":0,"msg":"success","data":{"ticket":' + ticket + b"}}")


def one_field(definition: bytes) -> Response:
    """One custom-field definition as `data` (lark-oapi's `GetTicketCustomizedField...`)."""
    return json_response(b'{"code":0,"msg":"success","data":' + definition + b"}")


def field_page(items: Sequence[bytes], has_more: bool, next_page_token: str | None) -> Response:
    """The custom-field list's success body, spliced from each definition's stored JSON."""
    head = b'{"code":0,"msg":"success","data":{"has_more":' + (b"true" if has_more else b"false")
    if next_page_token is not None:
        head += b',"next_page_token":' + _encode(next_page_token)
    return json_response(head + b',"items":[' + b",".join(items) + b"]}}")


def error_response(error: FeishuError, log_id: str) -> Response:
    """The wire form of any larkdesk error."""
    body: dict[str, Any] = {"code": error.code, "msg": error.message}
    if error.http_status != 200:
        body["error"] = {
            "log_id": log_id,
            "troubleshooter": TROUBLESHOOTER.format(log_id=log_id, code=error.code),
        }
    return json_response(_encode(body), status=error.http_status, headers=error.headers() or None)


def not_found() -> Response:
    """What Feishu's gateway answers for an unknown path or a wrong method."""
    return Response(b"404 page not found", status_code=404, media_type="text/plain; charset=utf-8")
