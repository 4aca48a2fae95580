"""Tenant and app access tokens: issue (7200 s), verify, and expiry.

As on Feishu, an app's tokens are one series: a token request is answered with the app's
newest token while it has more than 30 minutes left (`expire` = the seconds it has left),
then with a new one; the older stays valid until it expires. So an app has at most two
live tokens however often it asks, and the store keeps at most two rows per app. The
tenant and app token endpoints share the series (for a self-built app Feishu's app token
doubles as its tenant token). A token is "t-" + HMAC-SHA256(app secret, a random salt):
the store keeps the salt and the token's hash, never the token, and a repeat request,
which carries the app secret, computes the same token again.

Tokens are kept hashed in the store, so every worker on the same database accepts
them; a verified token is cached in memory for a short while to keep the hot path
off the database. With `--redis`, an issued token is also written to Redis (by hash,
with the app, expiring with the token, signed under a server secret kept in the
database: `redis_tokens`), and a worker that has not seen it yet looks there before the
database. The database stays the source of truth: a token missing
from Redis (flushed, or issued before Redis was configured) is found there and put back,
and a Redis outage only costs database reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..errors import InvalidAccessToken, TokenInvalidParam, TokenSecretInvalid
from ..store.base import App, IssuedToken, Store
from .credentials import derive_access_token, hash_secret, new_token_salt, secret_matches
from .redis_tokens import REDIS_TOKEN_PREFIX, RedisTokens, signing_key

TOKEN_TTL_SECONDS = 7200
REANSWER_SECONDS = 1800
"""Feishu answers the same token again while it has more than this many seconds left."""
CACHE_SECONDS = 30.0

log = logging.getLogger(__name__)

# RedisTokens lives in redis_tokens; named here too, where the token service is.
__all__ = [
    "REDIS_TOKEN_PREFIX",
    "Grant",
    "RedisTokens",
    "SharedTokens",
    "TokenService",
    "signing_key",
]


@dataclass(frozen=True, slots=True)
class Grant:
    token: str
    expire: int


class SharedTokens(Protocol):
    """Issued tokens (by hash, with their app) where every worker can read them."""

    def remember(self, token_hash: str, app: App, expires_at_ms: int, now_ms: int) -> None: ...
    def recall(self, token_hash: str) -> tuple[App, int] | None:
        """The app and expiry (ms) of a token hash, or None when not there."""
        ...

    def close(self) -> None: ...


class TokenService:
    """Issue and verify access tokens against the store (and `shared`, when given)."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        ttl_seconds: int = TOKEN_TTL_SECONDS,
        shared: SharedTokens | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl_seconds
        # A short TTL (tests) re-answers for its last quarter at most, so tokens still rotate.
        self._reanswer_ms = min(REANSWER_SECONDS, ttl_seconds // 4) * 1000
        self._shared = shared
        self._cache: dict[str, tuple[float, App, int]] = {}

    def issue(self, app_id: object, app_secret: object, kind: str) -> Grant:
        """The app's token (Feishu's rules above); 10003 / 10014 answers on bad credentials."""
        return self.grant(self.app_for(app_id), app_secret, kind)

    def app_for(self, app_id: object) -> App:
        """The app a token request names, or Feishu's 10003 answer."""
        if not isinstance(app_id, str) or not app_id:
            raise TokenInvalidParam()
        app = self._store.get_app(app_id)
        if app is None:
            raise TokenInvalidParam()
        return app

    def grant(self, app: App, app_secret: object, kind: str) -> Grant:
        """`app`'s current token, or a new one, for the holder of its secret."""
        if not isinstance(app_secret, str):
            raise TokenInvalidParam()
        if not secret_matches(app_secret, app.secret_hash):
            raise TokenSecretInvalid()
        now_ms = int(self._clock() * 1000)
        # A read answers nearly every request; only issuing takes the app's write lock.
        issued = self._store.reusable_token(app.app_id, now_ms, self._reanswer_ms)
        if issued is None:
            issued = self._issue(app, app_secret, kind, now_ms)
        salt = issued.salt or ""  # always set: only salted tokens are answered again
        token = derive_access_token(app_secret, salt)
        return Grant(token=token, expire=(issued.expires_at_ms - now_ms) // 1000)

    def _issue(self, app: App, app_secret: str, kind: str, now_ms: int) -> IssuedToken:
        salt = new_token_salt()
        token_hash = hash_secret(derive_access_token(app_secret, salt))
        fresh = IssuedToken(token_hash, app.app_id, kind, now_ms + self._ttl * 1000, salt)
        issued = self._store.reuse_or_issue_token(fresh, now_ms, self._reanswer_ms)
        if issued == fresh:
            self._share(issued.token_hash, app, issued.expires_at_ms, now_ms)
        return issued

    def close(self) -> None:
        """Close the shared token store's connections (the store is closed by its owner)."""
        if self._shared is not None:
            self._shared.close()

    def _share(self, token_hash: str, app: App, expires_at_ms: int, now_ms: int) -> None:
        if self._shared is None:
            return
        try:
            self._shared.remember(token_hash, app, expires_at_ms, now_ms)
        except Exception:  # the database has the token; Redis is only the fast path
            log.warning("could not write an access token to the shared token store", exc_info=True)

    def _recall(self, token_hash: str) -> tuple[App, int] | None:
        if self._shared is None:
            return None
        try:
            return self._shared.recall(token_hash)
        except Exception:
            log.warning("could not read the shared token store; using the database", exc_info=True)
            return None

    def cached(self, token: str) -> App | None:
        """The app behind a recently verified token, without touching the store."""
        hit = self._cache.get(token)
        if hit is None:
            return None
        cached_until, app, expires_at_ms = hit
        now = self._clock()
        if now >= cached_until or now * 1000 >= expires_at_ms:
            del self._cache[token]
            return None
        return app

    def verify(self, token: str) -> App:
        """The app that owns this unexpired token, or `InvalidAccessToken`."""
        app = self.cached(token)
        if app is not None:
            return app
        token_hash = hash_secret(token)
        now = self._clock()
        found = self._recall(token_hash) or self._from_store(token_hash, int(now * 1000))
        if found is None or now * 1000 >= found[1]:
            raise InvalidAccessToken()
        app, expires_at_ms = found
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + CACHE_SECONDS, app, expires_at_ms)
        return app

    def _from_store(self, token_hash: str, now_ms: int) -> tuple[App, int] | None:
        """The token's app and expiry from the database, put back into `shared` if valid."""
        issued = self._store.find_token(token_hash)
        if issued is None or now_ms >= issued.expires_at_ms:
            return None
        app = self._store.get_app(issued.app_id)
        if app is None:
            return None
        self._share(token_hash, app, issued.expires_at_ms, now_ms)
        return app, issued.expires_at_ms
