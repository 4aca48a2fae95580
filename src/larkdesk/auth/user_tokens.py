"""User access tokens: `larkdesk user token --app APP_ID --user OPEN_ID` issues one for a
user of the app's tenant, as Feishu's OAuth flow would (a `u-` token valid 7200 s; no
refresh token: issue another). The store keeps its hash only. The gateway takes it on the
APIs lark-oapi marks USER-token APIs, acting as that user (docs/api.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import InvalidAccessToken, ResourceNotFound
from ..store.agent_records import UserTokenRecord
from ..store.base import App, Store, User
from .credentials import hash_secret

USER_TOKEN_PREFIX = "u-"
USER_TOKEN_SECONDS = 7200
CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class UserGrant:
    user_access_token: str
    expire: int
    open_id: str
    app_id: str


def issue_user_token(
    store: Store, app_id: str, open_id: str, clock: Callable[[], float] = time.time
) -> UserGrant:
    """A new user access token of the app for a user of its tenant."""
    app = store.get_app(app_id)
    if app is None:
        raise ResourceNotFound(f"no app with id {app_id!r}")
    user = store.get_user(open_id)
    if user is None or user.tenant_key != app.tenant_key:
        raise ResourceNotFound(f"the app's tenant has no user {open_id!r}")
    token = USER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at_ms = int(clock() * 1000) + USER_TOKEN_SECONDS * 1000
    store.save_user_token(UserTokenRecord(hash_secret(token), app_id, open_id, expires_at_ms))
    return UserGrant(token, USER_TOKEN_SECONDS, open_id, app_id)


class UserTokens:
    """Verify user access tokens against the store, caching a verified one briefly."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._cache: dict[str, tuple[float, int, App, User]] = {}

    def verify(self, token: str) -> tuple[App, User]:
        """The app and user of this unexpired user token, or `InvalidAccessToken`."""
        now = self._clock()
        hit = self._cache.get(token)
        if hit is not None and now < hit[0] and now * 1000 < hit[1]:
            return hit[2], hit[3]
        found = self._store.find_user_token(hash_secret(token))
        if found is None or now * 1000 >= found.expires_at_ms:
            raise InvalidAccessToken()
        app = self._store.get_app(found.app_id)
        user = self._store.get_user(found.user_id)
        if app is None or user is None:
            raise InvalidAccessToken()
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + CACHE_SECONDS, found.expires_at_ms, app, user)
        return app, user
