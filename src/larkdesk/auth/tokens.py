"""Tenant and app access tokens: issue (7200 s), verify, and expiry.

Tokens are kept hashed in the store, so every worker on the same database accepts
them; a verified token is cached in memory for a short while to keep the hot path
off the database. Issuing a token never invalidates an earlier unexpired one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidAccessToken, TokenInvalidParam, TokenSecretInvalid
from ..store.base import App, IssuedToken, Store
from .credentials import hash_secret, new_access_token, secret_matches

TOKEN_TTL_SECONDS = 7200
CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Grant:
    token: str
    expire: int


class TokenService:
    """Issue and verify access tokens against the store."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        ttl_seconds: int = TOKEN_TTL_SECONDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, App, int]] = {}

    def issue(self, app_id: object, app_secret: object, kind: str) -> Grant:
        """A new token for the app; Feishu's 10003 / 10014 answers on bad credentials."""
        if not isinstance(app_id, str) or not isinstance(app_secret, str) or not app_id:
            raise TokenInvalidParam()
        app = self._store.get_app(app_id)
        if app is None:
            raise TokenInvalidParam()
        if not secret_matches(app_secret, app.secret_hash):
            raise TokenSecretInvalid()
        now_ms = int(self._clock() * 1000)
        token = new_access_token()
        self._store.save_token(
            IssuedToken(hash_secret(token), app.app_id, kind, now_ms + self._ttl * 1000)
        )
        return Grant(token=token, expire=self._ttl)

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
        issued = self._store.find_token(hash_secret(token))
        now = self._clock()
        if issued is None or now * 1000 >= issued.expires_at_ms:
            raise InvalidAccessToken()
        app = self._store.get_app(issued.app_id)
        if app is None:
            raise InvalidAccessToken()
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + CACHE_SECONDS, app, issued.expires_at_ms)
        return app
