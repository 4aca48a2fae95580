"""Thin HTTP handlers for notifications (`.../notifications[/:id[/action]]`): every one is
a USER-token API in lark-oapi (the tenant token is taken too); get reads
(`helpdesk:all:readonly` or `helpdesk:all`), the rest write (`helpdesk:all`);
`execute_send` is limited to 10 a minute, as Feishu's document says."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS, Limit
from ...server import envelope
from ..json_body import decode_body, read_body
from ..scopes import READ_SCOPES, WRITE_SCOPES
from ..surface import PREFIX
from .bodies import CancelSendBody, ExecuteSendBody, Notification, SubmitBody
from .service import Notifications

EXECUTE_SEND_LIMITS = (Limit(10, 60.0),)
NOTIFICATION_BODY_BYTES = 1024 * 1024


def _api(
    name: str,
    scopes: tuple[str, ...] = WRITE_SCOPES,
    limits: tuple[Limit, ...] = FEISHU_HELPDESK_LIMITS,
) -> Api:
    return Api("helpdesk.v1.notification." + name, scopes, limits, user_token=True)


CREATE, GET, PATCH = _api("create"), _api("get", READ_SCOPES), _api("patch")
PREVIEW, SUBMIT, CANCEL_APPROVE = _api("preview"), _api("submit_approve"), _api("cancel_approve")
EXECUTE_SEND = _api("execute_send", limits=EXECUTE_SEND_LIMITS)
CANCEL_SEND = _api("cancel_send")
NOTIFICATIONS = PREFIX + "/notifications"
ONE = NOTIFICATIONS + "/{notification_id}"


class NotificationRoutes:
    def __init__(self, gateway: Gateway, notifications: Notifications) -> None:
        self._gateway = gateway
        self._notifications = notifications

    async def create(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CREATE)
        body = decode_body(await read_body(request, NOTIFICATION_BODY_BYTES), Notification)
        made = await anyio.to_thread.run_sync(
            self._notifications.create, caller.helpdesk.helpdesk_id, body, caller.user
        )
        return envelope.success({"notification_id": made.id, "status": made.status})

    async def get(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, GET)
        found = await anyio.to_thread.run_sync(
            self._notifications.get, caller.helpdesk.helpdesk_id, _id(request)
        )
        return envelope.success({"notification": found})

    async def patch(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PATCH)
        body = decode_body(await read_body(request, NOTIFICATION_BODY_BYTES), Notification)
        await anyio.to_thread.run_sync(
            self._notifications.patch, caller.helpdesk.helpdesk_id, _id(request), body, caller.user
        )
        return envelope.success({})

    async def preview(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, PREVIEW)
        await anyio.to_thread.run_sync(
            self._notifications.preview, caller.helpdesk.helpdesk_id, _id(request)
        )
        return envelope.success({})

    async def submit_approve(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, SUBMIT)
        body = decode_body(await read_body(request), SubmitBody, required=False)
        has_access = await anyio.to_thread.run_sync(
            self._notifications.submit, caller.helpdesk.helpdesk_id, _id(request), body.reason
        )
        return envelope.success({"has_access": has_access})

    async def cancel_approve(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CANCEL_APPROVE)
        await anyio.to_thread.run_sync(
            self._notifications.cancel_approval, caller.helpdesk.helpdesk_id, _id(request)
        )
        return envelope.success({})

    async def execute_send(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, EXECUTE_SEND)
        body = decode_body(await read_body(request), ExecuteSendBody, required=False)
        await anyio.to_thread.run_sync(
            self._notifications.send, caller.helpdesk.helpdesk_id, _id(request), body.send_at
        )
        return envelope.success({})

    async def cancel_send(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, CANCEL_SEND)
        body = decode_body(await read_body(request), CancelSendBody, required=False)
        await anyio.to_thread.run_sync(
            self._notifications.cancel_send,
            caller.helpdesk.helpdesk_id,
            _id(request),
            bool(body.is_recall),
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        actions = (
            ("preview", self.preview),
            ("submit_approve", self.submit_approve),
            ("cancel_approve", self.cancel_approve),
            ("execute_send", self.execute_send),
            ("cancel_send", self.cancel_send),
        )
        return [
            Route(NOTIFICATIONS, self.create, methods=["POST"]),
            Route(ONE, self.get, methods=["GET"]),
            Route(ONE, self.patch, methods=["PATCH"]),
            *(Route(f"{ONE}/{name}", handler, methods=["POST"]) for name, handler in actions),
        ]


def _id(request: Request) -> str:
    return str(request.path_params["notification_id"])
