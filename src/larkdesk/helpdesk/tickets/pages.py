"""An exact per-process cache of the list API's rendered pages.

A page is kept with the database's change counter read *before* its query ran
(`SQLiteStore.change_counter`: `PRAGMA data_version`, which moves on every commit by any
connection of any process). A page is served again only while the counter still reads the
same, so a cached page is never older than the database: a write committed between the
counter's read and the query only makes the page newer than its counter, and the next
request, reading a moved counter, queries again. Any commit empties the cache (the pages
of an older counter can never be served). Auth, rate limits and validation run before
the cache is consulted, as for every request. On PostgreSQL the counter is the text of
the current snapshot (`store/pg_snapshot.py`), which moves on every commit in the cluster
and is read by a round trip, awaited (`AwaitedPageCache`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable

Version = int | str  # SQLite's data_version; PostgreSQL's snapshot text

MAX_BYTES = 32 * 1024 * 1024  # per worker; a 200-ticket page is ~0.25-0.5 MB


class PageCache:
    """Rendered bodies by key, valid for one value of `counter`."""

    def __init__(self, counter: Callable[[], Version | None], max_bytes: int = MAX_BYTES) -> None:
        self._counter = counter
        self._max_bytes = max_bytes
        self._version: Version | None = None
        self._pages: dict[Hashable, bytes] = {}
        self._bytes = 0

    def version(self) -> Version | None:
        """The counter now (None: unknown, cache nothing); a new value drops every page."""
        return self._now(self._counter())

    async def refresh(self) -> Version | None:
        """`version()`, for callers on the event loop (the list route)."""
        return self.version()

    def _now(self, version: Version | None) -> Version | None:
        if version is None or version != self._version:
            self._pages.clear()
            self._bytes = 0
            self._version = version
        return version

    def get(self, key: Hashable) -> bytes | None:
        """The page kept for `key` under the counter last read by `version()`."""
        return self._pages.get(key)

    def put(self, key: Hashable, version: Version | None, body: bytes) -> None:
        """Keep `body`, rendered from a query that started when the counter read `version`."""
        if version is None or version != self._version or len(body) > self._max_bytes:
            return  # the database moved on while the query ran
        while self._pages and self._bytes + len(body) > self._max_bytes:
            oldest = next(iter(self._pages))
            self._bytes -= len(self._pages.pop(oldest))
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old)
        self._pages[key] = body
        self._bytes += len(body)


class AwaitedPageCache(PageCache):
    """The same cache on a counter that is awaited (PostgreSQL's: a round trip)."""

    def __init__(
        self, counter: Callable[[], Awaitable[Version | None]], max_bytes: int = MAX_BYTES
    ) -> None:
        super().__init__(lambda: None, max_bytes)
        self._awaited = counter

    async def refresh(self) -> Version | None:
        # No await between the new value taking effect and the caller's `get`.
        return self._now(await self._awaited())


def page_cache(store: object) -> PageCache | None:
    """A cache on `store`'s change counter, or None if the store has none (an in-memory
    SQLite database; PostgreSQL through a URL naming several servers)."""
    awaited = getattr(store, "awaited_change_counter", None)
    if callable(awaited):
        counter = awaited()
        return None if counter is None else AwaitedPageCache(counter)
    make = getattr(store, "change_counter", None)
    counter = make() if callable(make) else None
    return None if counter is None else PageCache(counter)
