"""Assemble the ASGI application: the route table, the middleware order, the error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth.gateway import Gateway
from ..auth.routes import AuthRoutes
from ..helpdesk.events.routes import EventRoutes
from ..helpdesk.fields.routes import FieldRoutes
from ..helpdesk.messages.routes import MessageRoutes
from ..helpdesk.tickets.routes import TicketRoutes
from ..helpdesk.tickets.shapes import WireShape, shape_of
from ..operator.routes import OperatorRoutes
from ..settings import Settings
from ..store.base import Store
from . import envelope
from .requestlog import RequestLogMiddleware
from .services import Services, build_services


def _closing(services: Services) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.events.start()
        try:
            yield
        finally:
            await services.aclose()

    return lifespan


async def _not_found(request: Request, exc: Exception) -> Response:
    return envelope.not_found()


def route_table(
    services: Services, operator_token: str | None = None, wire: WireShape = "documented"
) -> list[Route]:
    """Every API larkdesk answers, each resource's routes given the services it needs."""
    gateway = Gateway(services.store, services.tokens, services.limiter)
    tickets = TicketRoutes(gateway, services.helpdesk, services.lifecycle, shape_of(wire))
    return [
        *AuthRoutes(services.tokens, services.limiter).routes(),
        *tickets.routes(),
        *FieldRoutes(gateway, services.fields).routes(),
        *MessageRoutes(gateway, services.messages).routes(),
        *OperatorRoutes(services.messages, operator_token).routes(),
        *EventRoutes(gateway, services.store).routes(),
    ]


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The larkdesk ASGI app on `store` (or the store named by `settings.db`)."""
    services = build_services(settings, store)
    app = Starlette(
        routes=route_table(services, settings.operator_token, settings.wire),
        middleware=[Middleware(RequestLogMiddleware)],
        exception_handlers={404: _not_found, 405: _not_found, HTTPException: _not_found},
        lifespan=_closing(services),
    )
    app.router.redirect_slashes = False
    app.state.services = services
    return app
