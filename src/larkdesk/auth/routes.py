"""`POST /open-apis/auth/v3/{tenant,app}_access_token/internal` (trailing slash allowed)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import metrics
from ..errors import RateLimited, TokenInvalidParam
from ..ratelimit import TOKEN_LIMITS, NoRateLimiter, RateLimiter
from ..server import envelope
from ..server.context import note_app
from ..server.jsonbody import MalformedBody, decode_json, read_limited
from ..server.limits import TOKEN_BODY_BYTES
from .tokens import Grant, TokenService


async def _credentials(request: Request) -> tuple[object, object]:
    try:  # a body too large is refused before it is read in full, as every body
        body = await read_limited(request, TOKEN_BODY_BYTES)
        fields: Any = decode_json(body) if body else {}
    except MalformedBody:
        raise TokenInvalidParam() from None
    if not isinstance(fields, dict):
        raise TokenInvalidParam()
    return fields.get("app_id"), fields.get("app_secret")


class AuthRoutes:
    def __init__(self, tokens: TokenService, limiter: RateLimiter | None = None) -> None:
        self._tokens = tokens
        self._limiter = limiter or NoRateLimiter()

    async def _grant(self, request: Request, kind: str) -> Grant:
        """The app's token; counted against the app's token limit once the app is known
        (so unknown app ids make no rate-limit keys), before its secret is checked."""
        app_id, app_secret = await _credentials(request)
        app = await anyio.to_thread.run_sync(self._tokens.app_for, app_id)
        note_app(app.app_id)
        try:
            await self._limiter.acquire(f"{app.tenant_key}:{app.app_id}:token", TOKEN_LIMITS)
        except RateLimited:
            metrics.rate_limited(app.app_id, "token")
            raise
        grant = await anyio.to_thread.run_sync(self._tokens.grant, app, app_secret, kind)
        metrics.token_issued(kind)
        return grant

    async def tenant_access_token(self, request: Request) -> Response:
        grant = await self._grant(request, "tenant")
        return envelope.bare(
            {"code": 0, "msg": "ok", "tenant_access_token": grant.token, "expire": grant.expire}
        )

    async def app_access_token(self, request: Request) -> Response:
        # For a self-built app Feishu's app token doubles as its tenant token; so does ours.
        grant = await self._grant(request, "app")
        return envelope.bare(
            {
                "code": 0,
                "msg": "ok",
                "app_access_token": grant.token,
                "tenant_access_token": grant.token,
                "expire": grant.expire,
            }
        )

    def routes(self) -> list[Route]:
        base = "/open-apis/auth/v3"
        pairs = (
            (f"{base}/tenant_access_token/internal", self.tenant_access_token),
            (f"{base}/app_access_token/internal", self.app_access_token),
        )
        return [
            Route(path + slash, endpoint, methods=["POST"])
            for path, endpoint in pairs
            for slash in ("", "/")
        ]
