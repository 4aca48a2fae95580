"""Thin HTTP handlers for `events/subscribe` and `events/unsubscribe`: the same gateway as
the ticket APIs (tenant token, scope, per-API rate limit, helpdesk credentials); each
subscribes the calling app to the helpdesk in the header. Idempotent."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...auth.gateway import Api, Gateway
from ...ratelimit import FEISHU_HELPDESK_LIMITS
from ...server import envelope
from ...store.base import Store
from ..json_body import decode_body, read_body
from .bodies import EventsBody, event_types

# Feishu's document asks for helpdesk:all:readonly; helpdesk:all includes it.
SCOPES = ("helpdesk:all:readonly", "helpdesk:all")
SUBSCRIBE = Api("helpdesk.v1.event.subscribe", SCOPES, FEISHU_HELPDESK_LIMITS)
UNSUBSCRIBE = Api("helpdesk.v1.event.unsubscribe", SCOPES, FEISHU_HELPDESK_LIMITS)
EVENTS = "/open-apis/helpdesk/v1/events"


class EventRoutes:
    def __init__(self, gateway: Gateway, store: Store) -> None:
        self._gateway = gateway
        self._store = store

    async def subscribe(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, SUBSCRIBE)
        types = event_types(decode_body(await read_body(request), EventsBody))
        await anyio.to_thread.run_sync(
            self._store.subscribe_events, caller.app.app_id, caller.helpdesk.helpdesk_id, types
        )
        return envelope.success({})

    async def unsubscribe(self, request: Request) -> Response:
        caller = await self._gateway.admit(request.headers, UNSUBSCRIBE)
        types = event_types(decode_body(await read_body(request), EventsBody))
        await anyio.to_thread.run_sync(
            self._store.unsubscribe_events, caller.app.app_id, caller.helpdesk.helpdesk_id, types
        )
        return envelope.success({})

    def routes(self) -> list[Route]:
        return [
            Route(EVENTS + "/subscribe", self.subscribe, methods=["POST"]),
            Route(EVENTS + "/unsubscribe", self.unsubscribe, methods=["POST"]),
        ]
