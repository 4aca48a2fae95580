"""Issued tokens cached in Redis for every worker, signed so Redis cannot vouch for them.

The database is the source of truth for tokens. Redis only caches what a worker read or
wrote there: each entry (the app and expiry of one token hash) carries an HMAC-SHA256
under a server secret kept in the database (`server_secrets`, made at first start), bound
to the token hash it is stored under. An entry someone wrote into Redis directly, or
copied from another token's key, fails the check and is ignored, so the token is looked up
in the database like any other. A read replica has the same secret, so a token the
primary issued is accepted from Redis before the replica has its row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from ..redis_options import redis_options
from ..store.base import App, Store

REDIS_TOKEN_PREFIX = "larkdesk:token:"
SIGNING_SECRET = "redis_token_signing_key"

log = logging.getLogger(__name__)


def signing_key(store: Store) -> bytes:
    """The server's key for Redis token entries, generated and stored at first use."""
    return bytes.fromhex(store.server_secret(SIGNING_SECRET, secrets.token_hex(32)))


class RedisTokens:
    """`SharedTokens` in Redis: one signed key per token hash, expiring with the token."""

    def __init__(self, url: str, key: bytes) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, **redis_options(asynchronous=False))
        self._key = key

    def _signature(self, token_hash: str, payload: str) -> str:
        message = token_hash.encode("utf-8") + b"\n" + payload.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def remember(self, token_hash: str, app: App, expires_at_ms: int, now_ms: int) -> None:
        if expires_at_ms <= now_ms:
            return
        payload = json.dumps(
            {
                "app_id": app.app_id,
                "tenant_key": app.tenant_key,
                "name": app.name,
                "secret_hash": app.secret_hash,
                "scopes": list(app.scopes),
                "expires_at_ms": expires_at_ms,
            }
        )
        value = json.dumps({"payload": payload, "sig": self._signature(token_hash, payload)})
        self._redis.set(REDIS_TOKEN_PREFIX + token_hash, value, px=expires_at_ms - now_ms)

    def recall(self, token_hash: str) -> tuple[App, int] | None:
        raw = self._redis.get(REDIS_TOKEN_PREFIX + token_hash)
        if raw is None:
            return None
        fields = self._verified(token_hash, raw)
        if fields is None:
            log.warning("ignored a token entry in Redis that this server did not sign")
            return None
        app = App(
            fields["app_id"],
            fields["tenant_key"],
            fields["name"],
            fields["secret_hash"],
            tuple(fields["scopes"]),
        )
        return app, int(fields["expires_at_ms"])

    def _verified(self, token_hash: str, raw: bytes) -> dict[str, Any] | None:
        """The entry's fields if this server signed them for this token hash."""
        try:
            entry = json.loads(raw)
            payload, signature = entry["payload"], entry["sig"]
            if not isinstance(payload, str) or not isinstance(signature, str):
                return None
            if not hmac.compare_digest(signature, self._signature(token_hash, payload)):
                return None
            fields: dict[str, Any] = json.loads(payload)
        except (ValueError, KeyError, TypeError):
            return None
        return fields

    def close(self) -> None:
        self._redis.close()
