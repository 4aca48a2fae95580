"""How larkdesk connects to Redis: a pooled connection that died (Redis restarted, a
failover, an idle timeout) is reconnected and the command retried once, so a restart costs
no request an error; a connection idle for a while is checked before use."""

from __future__ import annotations

from typing import Any

RETRIES = 1
HEALTH_CHECK_SECONDS = 10
SOCKET_TIMEOUT_SECONDS = 2.0


def redis_options(*, asynchronous: bool) -> dict[str, Any]:
    """Keyword arguments for `Redis.from_url` (redis-py's sync or asyncio client)."""
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    if asynchronous:
        from redis.asyncio.retry import Retry as AsyncRetry

        retry: Any = AsyncRetry(ExponentialBackoff(cap=0.2, base=0.02), RETRIES)
    else:
        from redis.retry import Retry

        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), RETRIES)
    return {
        "retry": retry,
        "retry_on_error": [ConnectionError, TimeoutError],
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "socket_timeout": SOCKET_TIMEOUT_SECONDS,
        "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
    }
