"""What Feishu's gateway does before a helpdesk API runs, in its order:
access token → scope → rate limit → helpdesk credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio.to_thread
from starlette.datastructures import Headers

from .. import metrics
from ..errors import (
    HelpdeskUnauthorized,
    InvalidAccessToken,
    MissingAccessToken,
    RateLimited,
    ScopeDenied,
)
from ..helpdesk.models import TicketUser
from ..ratelimit import Limit, RateLimiter
from ..server.context import note_app
from ..store.base import App, Helpdesk, Store
from .credentials import decode_helpdesk_header, secret_matches
from .tokens import CACHE_SECONDS, TokenService
from .user_tokens import USER_TOKEN_PREFIX, UserTokens

HELPDESK_HEADER = "x-lark-helpdesk-authorization"


@dataclass(frozen=True, slots=True)
class Api:
    """One helpdesk API as the gateway sees it: a name for rate limits, scopes, limits."""

    name: str
    scopes: tuple[str, ...]
    limits: Sequence[Limit]
    user_token: bool = False  # lark-oapi marks it a USER-token API: a `u-` token is taken


@dataclass(frozen=True, slots=True)
class Caller:
    app: App
    helpdesk: Helpdesk
    user: TicketUser | None = None  # the user of a user access token; None: the app's own


def bearer_token(headers: Headers) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingAccessToken()
    return token.strip()


class Gateway:
    def __init__(
        self,
        store: Store,
        tokens: TokenService,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._limiter = limiter
        self._clock = clock
        self._helpdesks: dict[str, tuple[float, Helpdesk]] = {}
        self._users = UserTokens(store)

    async def admit(self, headers: Headers, api: Api) -> Caller:
        """The verified caller of `api`, or the `FeishuError` Feishu would answer with."""
        token = bearer_token(headers)
        user: TicketUser | None = None
        if token.startswith(USER_TOKEN_PREFIX):
            if not api.user_token:
                raise InvalidAccessToken("this API takes a tenant access token")
            app, person = await anyio.to_thread.run_sync(self._users.verify, token)
            user = TicketUser.of(person)
        else:
            cached = self._tokens.cached(token)
            if cached is None:
                cached = await anyio.to_thread.run_sync(self._tokens.verify, token)
            app = cached
        if not set(app.scopes) & set(api.scopes):
            raise ScopeDenied(api.scopes)
        note_app(app.app_id)
        try:
            await self._limiter.acquire(f"{app.tenant_key}:{app.app_id}:{api.name}", api.limits)
        except RateLimited:
            metrics.rate_limited(app.app_id, api.name)
            raise
        helpdesk = await self._helpdesk(headers.get(HELPDESK_HEADER))
        if helpdesk.tenant_key != app.tenant_key:
            raise HelpdeskUnauthorized("the helpdesk does not belong to this app's tenant")
        return Caller(app=app, helpdesk=helpdesk, user=user)

    async def _helpdesk(self, header: str | None) -> Helpdesk:
        if not header:
            raise HelpdeskUnauthorized("the X-Lark-Helpdesk-Authorization header is missing")
        hit = self._helpdesks.get(header)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        credentials = decode_helpdesk_header(header)
        if credentials is None:
            raise HelpdeskUnauthorized(
                "X-Lark-Helpdesk-Authorization must be base64(helpdesk_id:helpdesk_token)"
            )
        helpdesk_id, helpdesk_token = credentials
        helpdesk = await anyio.to_thread.run_sync(self._store.get_helpdesk, helpdesk_id)
        if helpdesk is None or not secret_matches(helpdesk_token, helpdesk.token_hash):
            raise HelpdeskUnauthorized("helpdesk_id or helpdesk_token is wrong")
        if len(self._helpdesks) > 10_000:
            self._helpdesks.clear()
        self._helpdesks[header] = (self._clock() + CACHE_SECONDS, helpdesk)
        return helpdesk
