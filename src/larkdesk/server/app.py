"""Assemble the ASGI application: the route table, the middleware order, the error pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import unquote

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import metrics
from ..auth.gateway import Gateway
from ..auth.routes import AuthRoutes
from ..console.routes import ConsoleRoutes
from ..events.longconn_routes import LongConnectionRoutes
from ..helpdesk.agents.routes import AgentRoutes
from ..helpdesk.events.routes import EventRoutes
from ..helpdesk.faq.routes import KnowledgeRoutes
from ..helpdesk.fields.overview import CustomizedFieldsRoutes
from ..helpdesk.fields.routes import FieldRoutes
from ..helpdesk.messages.routes import MessageRoutes
from ..helpdesk.notifications.routes import NotificationRoutes
from ..helpdesk.tickets.pages import page_cache
from ..helpdesk.tickets.routes import TicketRoutes
from ..helpdesk.tickets.shapes import WireShape, shape_of
from ..helpdesk.unserved import not_served_routes
from ..operator.routes import OperatorRoutes
from ..settings import Settings
from ..store.base import Store
from . import envelope
from .ops import OpsRoutes
from .requestlog import RequestLogMiddleware
from .services import Services, build_services
from .shutdown import watch_signals


def _closing(
    services: Services, ops: OpsRoutes
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.events.start()
        ops.start()
        for start in services.on_start:
            start()
        unwatch = watch_signals(services.shutdown)
        try:
            yield
        finally:
            unwatch()
            await services.shutdown.wait()
            for stop in services.on_stop:
                await anyio.to_thread.run_sync(stop)
            await ops.aclose()
            await services.aclose()
            metrics.process_ended()

    return lifespan


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


def _raw_pattern(path: str) -> re.Pattern[str]:
    """`path`'s template matched against the raw path: a parameter is one raw segment."""
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def _not_found_unless_raw_match(routes: list[Route]) -> Handler:
    """Plain `404 page not found` (Feishu's gateway) for a path no API serves. A path id
    holding an encoded slash (`tickets/a%2Fb`) is still one segment of an API's path, which
    Starlette's decoded-path matching misses: that request goes to the API, which answers
    in JSON (found in issue 14's fuzz test)."""
    patterns = [(_raw_pattern(route.path), route) for route in routes]

    async def not_found(request: Request, exc: Exception) -> Response:
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        for pattern, route in patterns:
            match = pattern.match(raw)
            if match and request.method in (route.methods or ()):
                request.scope["path_params"] = {k: unquote(v) for k, v in match.groupdict().items()}
                request.scope["route"] = route  # the API's name in metrics and logs
                response: Response = await route.endpoint(request)
                return response
        return envelope.not_found()

    return not_found


def route_table(
    services: Services, operator_token: str | None = None, wire: WireShape = "documented"
) -> list[Route]:
    """Every API larkdesk answers, each resource's routes given the services it needs."""
    gateway = Gateway(services.store, services.tokens, services.limiter)
    pages = page_cache(services.store)
    tickets = TicketRoutes(gateway, services.helpdesk, services.lifecycle, shape_of(wire), pages)
    console = ConsoleRoutes(
        services.store, services.lifecycle, services.messages, services.events.wake
    )
    services.on_start.append(console.start)
    services.on_stop.append(console.stop)
    served = [
        *AuthRoutes(services.tokens, services.limiter).routes(),
        *tickets.routes(),
        *FieldRoutes(gateway, services.fields).routes(),
        *MessageRoutes(gateway, services.messages).routes(),
        *OperatorRoutes(services.messages, operator_token).routes(),
        *EventRoutes(gateway, services.store).routes(),
        *console.routes(),
        *KnowledgeRoutes(gateway, services.faqs, services.categories).routes(),
        *CustomizedFieldsRoutes(gateway, services.store).routes(),
        *AgentRoutes(gateway, services.agents, services.skills).routes(),
        *NotificationRoutes(gateway, services.notifications).routes(),
    ]
    # Last: each Helpdesk v1 API not served above answers Feishu's JSON, not plain text.
    return served + not_served_routes(gateway, served)


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The larkdesk ASGI app on `store` (or the store named by `settings.db`)."""
    services = build_services(settings, store)
    long_connection = LongConnectionRoutes(services.events.hub)
    routes = route_table(services, settings.operator_token, settings.wire)
    routes += long_connection.routes()
    not_found = _not_found_unless_raw_match(routes)
    ops = OpsRoutes(services.store, settings, services.shutdown)
    app = Starlette(
        routes=[*routes, *ops.routes(), *long_connection.socket_routes()],
        middleware=[Middleware(RequestLogMiddleware)],
        exception_handlers={404: not_found, 405: not_found, HTTPException: not_found},
        lifespan=_closing(services, ops),
    )
    app.router.redirect_slashes = False
    app.state.services = services
    return app
