"""The operator API: `POST /larkdesk/v1/tickets/:ticket_id/messages`, a message into a
ticket's conversation as its guest, one of its agents or the bot.

Auth: `Authorization: Bearer <LARKDESK_OPERATOR_TOKEN>`, compared in constant time. With
no operator token set the API is off and every call is refused (401/154001), so a server
never takes operator calls its owner did not ask for. Errors use Feishu's envelope and
codes, as the rest of the server does.
"""

from __future__ import annotations

import hmac

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import HelpdeskUnauthorized
from ..helpdesk.json_body import decode_body, read_body
from ..helpdesk.messages.service import TicketMessages
from ..helpdesk.messages.speak import SpeakBody, Speaker, utterance_of
from ..server import envelope

OPERATOR_MESSAGES = "/larkdesk/v1/tickets/{ticket_id}/messages"
MAX_OPERATOR_BODY = 16 * 1024 * 1024  # a 10 MiB image in base64, and the rest


def check_operator(authorization: str | None, token: str | None) -> None:
    """Refuse unless `authorization` is `Bearer <token>` and a token is configured."""
    if not token:
        raise HelpdeskUnauthorized(
            "the operator API is off: set LARKDESK_OPERATOR_TOKEN for the server to use it"
        )
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), token.encode("utf-8")
    ):
        raise HelpdeskUnauthorized("Authorization must be 'Bearer <the operator token>'")


class OperatorRoutes:
    def __init__(self, messages: TicketMessages, operator_token: str | None) -> None:
        self._speaker = Speaker(messages)
        self._token = operator_token

    async def say(self, request: Request) -> Response:
        check_operator(request.headers.get("authorization"), self._token)
        body = decode_body(await read_body(request, MAX_OPERATOR_BODY), SpeakBody)
        said = utterance_of(body)
        message = await anyio.to_thread.run_sync(
            self._speaker.say, request.path_params["ticket_id"], said
        )
        return envelope.success(
            {
                "message_id": message.message_id,
                "ticket_message_id": message.ticket_message_id,
                "position": message.position,
                "created_at": message.created_at,
            }
        )

    def routes(self) -> list[Route]:
        return [Route(OPERATOR_MESSAGES, self.say, methods=["POST"])]
