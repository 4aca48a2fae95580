"""Event delivery in one server process: a dispatcher per transport, started and stopped
with the app (its lifespan), woken by writes that added events: this process's at once
(`wake`, right after the commit); other processes' through the store's notices where it
has them (PostgreSQL's LISTEN/NOTIFY), else by a short poll (SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from ..store import outbox_claims
from ..store.base import Store
from .connections import ConnectionHub
from .dispatcher import DeliveryConfig, Dispatcher, Transport
from .longconn import LongConnectionTransport
from .retention import Retention

TransportFactory = Callable[[ConnectionHub], Transport]

# How often dispatchers look for rows other processes wrote: on a store without notices,
# often (SQLite: the look is one indexed read); with notices, only as a fallback for a
# notice lost while the listening connection was down.
POLL_S = 0.05
FALLBACK_POLL_S = 1.0


class Notices(Protocol):
    listening: asyncio.Event  # set while notices can arrive

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@runtime_checkable
class NoticeSource(Protocol):
    """A store whose commits of events can wake other processes (PostgresStore)."""

    def event_notices(self, wake: Callable[[], None]) -> Notices: ...


def poll_interval(store: Store) -> float:
    return FALLBACK_POLL_S if isinstance(store, NoticeSource) else POLL_S


def webhook_transport(hub: ConnectionHub) -> Transport:
    # Deferred: aiohttp (about 0.2 s to import) loads only in a server that delivers
    # events, not in every CLI command that imports the app.
    from .webhook import WebhookTransport

    return WebhookTransport()


def long_connection_transport(hub: ConnectionHub) -> Transport:
    return LongConnectionTransport(hub)


class EventDelivery:
    """Transports are made at start, inside the server's event loop: the webhook's, and
    the long connection's over this process's `hub` of live connections."""

    def __init__(
        self,
        store: Store,
        config: DeliveryConfig | None = None,
        transports: Sequence[TransportFactory] = (webhook_transport, long_connection_transport),
        keep_days: float = 0,
    ) -> None:
        self._store = store
        self._retention = Retention(store, keep_days)  # 0: keep delivered events forever
        self._config = config or DeliveryConfig()
        self._factories = tuple(transports)
        self._dispatchers: list[Dispatcher] = []
        self._inline: Dispatcher | None = None  # the one whose rows writes claim themselves
        self._notices: Notices | None = None
        self.hub = ConnectionHub(store)
        self.hub.on_connect = self.wake

    @property
    def notices(self) -> Notices | None:
        return self._notices

    def wake(self) -> None:
        """Events were committed: deliver them now. Safe from any thread; a no-op until
        started (a CLI command's events wait for a server to poll them)."""
        for dispatcher in self._dispatchers:
            dispatcher.wake()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around one store write that may add events (on the writing thread): its rows for
        the webhook dispatcher are claimed in its transaction and handed to it after the
        commit (store/outbox_claims.py); the dispatchers are woken only for rows it left.
        A write that raises (rolled back) hands over and wakes nothing."""
        dispatcher = self._inline
        claim = dispatcher.inline_claim() if dispatcher is not None else None
        with outbox_claims.claiming(claim):
            yield
        if dispatcher is None or claim is None:
            self.wake()
            return
        dispatcher.adopt(claim)
        if claim.left_rows:
            self.wake()

    async def start(self) -> None:
        await self._retention.start()
        await self.hub.start()
        for factory in self._factories:
            dispatcher = Dispatcher(self._store, factory(self.hub), self._config)
            await dispatcher.start()
            self._dispatchers.append(dispatcher)
            if self._inline is None and dispatcher.claims_inline:
                self._inline = dispatcher
        if isinstance(self._store, NoticeSource):
            self._notices = self._store.event_notices(self.wake)
            await self._notices.start()

    async def stop(self) -> None:
        if self._notices is not None:
            await self._notices.stop()
            self._notices = None
        await self._retention.stop()
        dispatchers, self._dispatchers = self._dispatchers, []
        self._inline = None
        for dispatcher in dispatchers:
            await dispatcher.stop()
        await self.hub.stop()
