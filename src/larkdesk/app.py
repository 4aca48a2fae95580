"""Assemble the ASGI application: the route table, the middleware order, the error pages."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from . import envelope
from .auth.gateway import Gateway
from .auth.routes import AuthRoutes
from .auth.tokens import RedisTokens, TokenService
from .events.dispatcher import DeliveryConfig
from .events.service import EventDelivery
from .helpdesk.definitions import FieldDefinitions
from .helpdesk.events.routes import EventRoutes
from .helpdesk.lifecycle import TicketLifecycle
from .helpdesk.routes import HelpdeskRoutes
from .helpdesk.service import HelpdeskService
from .ratelimit import MemoryRateLimiter, NoRateLimiter, RateLimiter, RedisRateLimiter
from .requestlog import RequestLogMiddleware
from .settings import Settings
from .store import open_store
from .store.base import Store


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the routes need, built once per process."""

    store: Store
    tokens: TokenService
    limiter: RateLimiter
    helpdesk: HelpdeskService
    lifecycle: TicketLifecycle
    fields: FieldDefinitions
    events: EventDelivery


def build_limiter(settings: Settings) -> RateLimiter:
    """No limit, Feishu's limits in this process, or Feishu's limits shared through Redis."""
    if settings.rate_limit == "off":
        return NoRateLimiter()
    if settings.redis:
        return RedisRateLimiter(settings.redis)
    return MemoryRateLimiter(time.monotonic)


def build_services(settings: Settings, store: Store | None = None) -> Services:
    store = store if store is not None else open_store(settings.db)
    shared = RedisTokens(settings.redis) if settings.redis else None
    events = EventDelivery(store, DeliveryConfig(settings.event_retry_s, settings.event_lease_s))
    return Services(
        store=store,
        tokens=TokenService(store, shared=shared),
        limiter=build_limiter(settings),
        helpdesk=HelpdeskService(store),
        lifecycle=TicketLifecycle(store, on_events=events.wake),
        fields=FieldDefinitions(store),
        events=events,
    )


def _closing(services: Services) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.events.start()
        try:
            yield
        finally:
            await services.events.stop()
            if isinstance(services.limiter, RedisRateLimiter):
                await services.limiter.aclose()
            services.tokens.close()
            services.store.close()

    return lifespan


async def _not_found(request: Request, exc: Exception) -> Response:
    return envelope.not_found()


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The larkdesk ASGI app on `store` (or the store named by `settings.db`)."""
    services = build_services(settings, store)
    gateway = Gateway(services.store, services.tokens, services.limiter)
    routes = [
        *AuthRoutes(services.tokens).routes(),
        *HelpdeskRoutes(gateway, services).routes(),
        *EventRoutes(gateway, services.store).routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestLogMiddleware)],
        exception_handlers={404: _not_found, 405: _not_found, HTTPException: _not_found},
        lifespan=_closing(services),
    )
    app.router.redirect_slashes = False
    app.state.services = services
    # Everything built so far lives as long as the process: out of the collector's sight,
    # a full collection no longer walks it (shorter pauses, a lower p99).
    gc.collect()
    gc.freeze()
    return app


def create_app_from_env() -> Starlette:
    """Factory for worker processes (`uvicorn --factory`): settings from `LARKDESK_*`."""
    return create_app(Settings.from_env())
