"""What `larkdesk.client` raises. Every exception is a `ClientError`:

    ClientError                 anything the client could not do
    ├── ConnectionFailed        no usable answer: the connection failed (refused, reset,
    │                           timed out) on every attempt
    ├── ApiError                the server answered with an error: .code, .msg,
    │   │                       .http_status, .log_id (the x-tt-logid header)
    │   ├── AuthenticationFailed  the app or helpdesk credentials were refused
    │   │                         (10003, 10014, 99991661, 99991663 after one refresh,
    │   │                         154001)
    │   ├── PermissionDenied      the app lacks the scope (99991672)
    │   ├── InvalidRequest        a parameter was refused (154000)
    │   ├── RateLimitExceeded     429 / 99991400 on every attempt
    │   └── ServerError           HTTP 5xx (or 155000) on every attempt
    └── WalkError               `iter_all_tickets` cannot promise every ticket
        ├── MillisecondOverflow   one millisecond holds more than 10,000 matching tickets
        └── WindowUnstable        a 1 ms window kept changing while it was read

Secrets never appear in a message.
"""

from __future__ import annotations


class ClientError(Exception):
    """Base of every error `larkdesk.client` raises."""


class ConnectionFailed(ClientError):
    """Every attempt failed before a response arrived."""


class ApiError(ClientError):
    """The server answered with a non-zero `code` (or a non-JSON error body)."""

    def __init__(self, code: int, msg: str, http_status: int, log_id: str = "") -> None:
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.log_id = log_id
        where = f", log_id {log_id}" if log_id else ""
        super().__init__(f"HTTP {http_status}, code {code}: {msg}{where}")


class AuthenticationFailed(ApiError):
    """The app's or the helpdesk's credentials were refused."""


class PermissionDenied(ApiError):
    """The app does not hold a scope the API needs."""


class InvalidRequest(ApiError):
    """The server refused a parameter (400/154000); the message names it."""


class RateLimitExceeded(ApiError):
    """Still rate limited after every attempt."""


class ServerError(ApiError):
    """Still a server error (HTTP 5xx) after every attempt."""


class WalkError(ClientError):
    """A walk over time windows cannot guarantee every ticket."""


class MillisecondOverflow(WalkError):
    """More than 10,000 tickets match within one millisecond: no query can list them all."""


class WindowUnstable(WalkError):
    """A one-millisecond window kept changing while it was being read."""


AUTH_CODES = frozenset({10003, 10014, 99991661, 99991663, 154001})
PERMISSION_CODES = frozenset({99991672})
INVALID_TOKEN = 99991663
RATE_LIMITED = 99991400
BAD_REQUEST = 154000


def api_error(code: int, msg: str, http_status: int, log_id: str = "") -> ApiError:
    """The most specific `ApiError` for this answer."""
    kind: type[ApiError] = ApiError
    if code in AUTH_CODES:
        kind = AuthenticationFailed
    elif code in PERMISSION_CODES:
        kind = PermissionDenied
    elif code == BAD_REQUEST or http_status == 400:
        kind = InvalidRequest
    elif code == RATE_LIMITED or http_status == 429:
        kind = RateLimitExceeded
    elif http_status >= 500:
        kind = ServerError
    return kind(code, msg, http_status, log_id)
