"""Event delivery in one server process: a dispatcher per transport, started and stopped
with the app (its lifespan), woken by writes that added events."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..store.base import Store
from .dispatcher import DeliveryConfig, Dispatcher, Transport
from .retention import Retention
from .webhook import WebhookTransport

TransportFactory = Callable[[], Transport]


class EventDelivery:
    """Transports are made at start, inside the server's event loop; a second transport
    (long connection) is one more factory."""

    def __init__(
        self,
        store: Store,
        config: DeliveryConfig | None = None,
        transports: Sequence[TransportFactory] = (WebhookTransport,),
        keep_days: float = 0,
    ) -> None:
        self._store = store
        self._retention = Retention(store, keep_days)  # 0: keep delivered events forever
        self._config = config or DeliveryConfig()
        self._factories = tuple(transports)
        self._dispatchers: list[Dispatcher] = []

    def wake(self) -> None:
        """Events were committed: deliver them now. Safe from any thread; a no-op until
        started (a CLI command's events wait for a server to poll them)."""
        for dispatcher in self._dispatchers:
            dispatcher.wake()

    async def start(self) -> None:
        await self._retention.start()
        for factory in self._factories:
            dispatcher = Dispatcher(self._store, factory(), self._config)
            await dispatcher.start()
            self._dispatchers.append(dispatcher)

    async def stop(self) -> None:
        await self._retention.stop()
        dispatchers, self._dispatchers = self._dispatchers, []
        for dispatcher in dispatchers:
            await dispatcher.stop()
