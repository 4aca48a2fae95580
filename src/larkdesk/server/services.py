"""Everything the routes need, built once per process from the settings and a store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..auth.tokens import RedisTokens, TokenService, signing_key
from ..events.dispatcher import DeliveryConfig
from ..events.service import EventDelivery, poll_interval
from ..helpdesk.agents.service import Agents
from ..helpdesk.agents.skills import AgentSkills
from ..helpdesk.faq.categories import FaqCategories
from ..helpdesk.faq.service import Faqs
from ..helpdesk.fields.service import FieldDefinitions
from ..helpdesk.messages.events import message_events
from ..helpdesk.messages.service import TicketMessages
from ..helpdesk.notifications.service import Notifications
from ..helpdesk.tickets.lifecycle import TicketLifecycle
from ..helpdesk.tickets.service import HelpdeskService
from ..ratelimit import MemoryRateLimiter, NoRateLimiter, RateLimiter, RedisRateLimiter
from ..settings import Settings
from ..store import open_store
from ..store.base import Store
from .shutdown import ShutdownHooks


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the routes need, built once per process."""

    store: Store
    tokens: TokenService
    limiter: RateLimiter
    helpdesk: HelpdeskService
    lifecycle: TicketLifecycle
    fields: FieldDefinitions
    messages: TicketMessages
    events: EventDelivery
    faqs: Faqs
    categories: FaqCategories
    agents: Agents
    skills: AgentSkills
    notifications: Notifications
    # What SIGTERM starts (long connections register here); see server/shutdown.py.
    shutdown: ShutdownHooks = field(default_factory=ShutdownHooks)
    # Background work of the routes, started and stopped with the app (its lifespan).
    on_start: list[Callable[[], None]] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Release the limiter's Redis connection, the token cache and the store."""
        await self.events.stop()
        if isinstance(self.limiter, RedisRateLimiter):
            await self.limiter.aclose()
        self.tokens.close()
        self.store.close()


def build_limiter(settings: Settings) -> RateLimiter:
    """No limit, Feishu's limits in this process, or Feishu's limits shared through Redis."""
    if settings.rate_limit == "off":
        return NoRateLimiter()
    if settings.redis:
        return RedisRateLimiter(settings.redis)
    return MemoryRateLimiter(time.monotonic)


def build_services(settings: Settings, store: Store | None = None) -> Services:
    """The services on `store`, or on the store `settings.db` names."""
    store = store if store is not None else open_store(settings.db)
    shared = RedisTokens(settings.redis, signing_key(store)) if settings.redis else None
    delivery = DeliveryConfig(
        settings.event_retry_s,
        settings.event_lease_s,
        poll_s=poll_interval(store),
        drain_s=settings.graceful_timeout_s,
    )
    events = EventDelivery(store, delivery, keep_days=settings.event_keep_days)
    shutdown = ShutdownHooks(settings.graceful_timeout_s)
    shutdown.register(events.hub.hand_over)  # long connections: reconnect to the next one
    return Services(
        store=store,
        tokens=TokenService(store, shared=shared),
        limiter=build_limiter(settings),
        helpdesk=HelpdeskService(store),
        lifecycle=TicketLifecycle(store, writing=events.writing),
        fields=FieldDefinitions(store),
        messages=TicketMessages(store, announce=message_events, writing=events.writing),
        events=events,
        shutdown=shutdown,
        faqs=Faqs(store),
        categories=FaqCategories(store),
        agents=Agents(store),
        skills=AgentSkills(store),
        notifications=Notifications(store, writing=events.writing),
    )
