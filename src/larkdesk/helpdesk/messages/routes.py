"""Thin HTTP handlers for the conversation APIs: read parameters, one service call, wrap.

Scopes: the message list and ticket_images accept `helpdesk:all:readonly` or
`helpdesk:all`; sending (ticket message, bot message, FAQ answer) needs `helpdesk:all`.
Each API has its own rate-limit counter at Feishu's 50/s and 1000/min.
"""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ..json_body import decode_body, read_body
from .bodies import (
    AnswerUserQueryBody,
    BotMessageBody,
    CreateMessageBody,
    parse_image_query,
    parse_message_query,
)
from .bot import BotMessages
from .images import file_name
from .service import TicketMessages

READ_SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
WRITE_SCOPES = ("helpdesk:all",)
CREATE_MESSAGE = Api("helpdesk.v1.ticket_message.create", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
LIST_MESSAGES = Api("helpdesk.v1.ticket_message.list", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
BOT_MESSAGE = Api("helpdesk.v1.bot_message.create", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
TICKET_IMAGE = Api("helpdesk.v1.ticket.ticket_image", READ_SCOPES, FEISHU_HELPDESK_LIMITS)
ANSWER_QUERY = Api("helpdesk.v1.ticket.answer_user_query", WRITE_SCOPES, FEISHU_HELPDESK_LIMITS)
TICKET_MESSAGES = "/open-apis/helpdesk/v1/tickets/{ticket_id}/messages"


def image_response(data: bytes, content_type: str, name: str) -> Response:
    """The image's bytes. Header names in Feishu's case: lark-oapi reads exactly
    `Content-Disposition` (the file name) from a plain dict of the headers as sent."""
    response = Response(data)
    response.raw_headers = [
        (b"Content-Type", content_type.encode("latin-1")),
        (b"Content-Length", str(len(data)).encode("latin-1")),
        (b"Content-Disposition", f'attachment; filename="{name}"'.encode("latin-1")),
    ]
    return response


class MessageRoutes:
    def __init__(self, gateway: Gateway, messages: TicketMessages) -> None:
        self._gateway = gateway
        self._messages = messages
        self._bot = BotMessages(messages)

    async def create_message(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE_MESSAGE)
        body = decode_body(await read_body(request), CreateMessageBody)
        message = await anyio.to_thread.run_sync(
            self._messages.create,
            caller.helpdesk.helpdesk_id,
            request.path_params["ticket_id"],
            body,
        )
        return envelope.success({"message_id": message.message_id})

    async def list_messages(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, LIST_MESSAGES)
        query = parse_message_query(request.query_params.multi_items())
        total, messages = await anyio.to_thread.run_sync(
            self._messages.list_messages,
            caller.helpdesk.helpdesk_id,
            request.path_params["ticket_id"],
            query,
        )
        return envelope.success({"messages": messages, "total": total})

    async def bot_message(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, BOT_MESSAGE)
        body = decode_body(await read_body(request), BotMessageBody)
        message_id = await anyio.to_thread.run_sync(
            self._bot.send,
            caller.helpdesk.helpdesk_id,
            caller.helpdesk.tenant_key,
            body,
            request.query_params.get("user_id_type"),
        )
        return envelope.success({"message_id": message_id})

    async def ticket_image(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, TICKET_IMAGE)
        query = parse_image_query(request.query_params.multi_items())
        image = await anyio.to_thread.run_sync(
            self._messages.image, caller.helpdesk.helpdesk_id, query
        )
        return image_response(image.data, image.content_type, file_name(image))

    async def answer_user_query(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, ANSWER_QUERY)
        body = decode_body(await read_body(request), AnswerUserQueryBody)
        await anyio.to_thread.run_sync(
            self._bot.answer_user_query,
            caller.helpdesk.helpdesk_id,
            request.path_params["ticket_id"],
            body,
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        answer = "/open-apis/helpdesk/v1/tickets/{ticket_id}/answer_user_query"
        return [
            Route(TICKET_MESSAGES, self.create_message, methods=["POST"]),
            Route(TICKET_MESSAGES, self.list_messages, methods=["GET"]),
            Route("/open-apis/helpdesk/v1/message", self.bot_message, methods=["POST"]),
            Route("/open-apis/helpdesk/v1/ticket_images", self.ticket_image, methods=["GET"]),
            Route(answer, self.answer_user_query, methods=["POST"]),
        ]
