"""The one error family: every wire error larkdesk answers with is a `FeishuError`.

Each subclass is one Feishu error code, with its HTTP status and the start of
its message as class attributes. `envelope.error_response` is the only place
that turns them into bytes on the wire.
"""

from __future__ import annotations


class FeishuError(Exception):
    """An error Feishu's gateway or API would answer with."""

    http_status: int = 500
    code: int = 155000
    msg: str = "Internal error"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.msg}: {self.detail}" if self.detail else self.msg

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the envelope's own."""
        return {}


# --- gateway errors (before the API runs) -----------------------------------


class MissingAccessToken(FeishuError):
    http_status = 400
    code = 99991661
    msg = "Missing access token for authorization. Please make a request with token attached."


class InvalidAccessToken(FeishuError):
    http_status = 400
    code = 99991663
    msg = "Invalid access token for authorization. Please make a request with token attached."


class ScopeDenied(FeishuError):
    http_status = 400
    code = 99991672
    msg = "Access denied. One of the following scopes is required: [{scopes}]."

    def __init__(self, scopes: tuple[str, ...]) -> None:
        self.scopes = scopes
        super().__init__()

    @property
    def message(self) -> str:
        return self.msg.format(scopes=", ".join(self.scopes))


class RateLimited(FeishuError):
    http_status = 429
    code = 99991400
    msg = "request trigger frequency limit"

    def __init__(self, limit: int, reset_seconds: int) -> None:
        self.limit = limit
        self.reset_seconds = reset_seconds
        super().__init__()

    def headers(self) -> dict[str, str]:
        # Retry-After too (whole seconds, at least 1), for HTTP clients that know only it.
        return {
            "X-Ogw-Ratelimit-Limit": str(self.limit),
            "X-Ogw-Ratelimit-Reset": str(self.reset_seconds),
            "Retry-After": str(self.reset_seconds),
        }


# --- helpdesk API errors (the seed's table) ---------------------------------


class BadRequest(FeishuError):
    http_status = 400
    code = 154000
    msg = "Bad request, please check your request body"


class RequestTimeout(BadRequest):
    """The request's headers or body did not arrive in time (a slow or stalled client)."""

    http_status = 408


class HelpdeskUnauthorized(FeishuError):
    http_status = 401
    code = 154001
    msg = "Unauthorized, please check you have the correct access"


class ResourceNotFound(FeishuError):
    """A ticket id the helpdesk does not have (unknown, or another helpdesk's)."""

    http_status = 404
    code = 154004
    msg = "Resource not found"


class NotServed(FeishuError):
    """An API Feishu serves and larkdesk does not (yet): answered in Feishu's JSON so an
    SDK returns a failed response; HTTP 501 and Feishu's server-side code, since the
    request itself may be right (docs/api.md)."""

    http_status = 501
    code = 155000
    msg = "Internal error"


class InternalError(FeishuError):
    http_status = 500
    code = 155000
    msg = "Internal error"


class ServiceBusy(FeishuError):
    """The database stayed locked by another write (an import, say) longer than a request
    waits for it: nothing was written, and the same request can simply be sent again."""

    http_status = 503
    code = 155000
    msg = "Internal error"
    retry_after_seconds = 1

    def __init__(self) -> None:
        super().__init__(
            f"the database is busy with another write; retry in {self.retry_after_seconds} s"
        )

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}


# --- token endpoint errors (answered with HTTP 200) -------------------------


class TokenInvalidParam(FeishuError):
    http_status = 200
    code = 10003
    msg = "invalid param"


class TokenSecretInvalid(FeishuError):
    http_status = 200
    code = 10014
    msg = "app secret invalid"


WIRE_ERRORS: tuple[type[FeishuError], ...] = (
    MissingAccessToken,
    InvalidAccessToken,
    ScopeDenied,
    RateLimited,
    BadRequest,
    RequestTimeout,
    HelpdeskUnauthorized,
    ResourceNotFound,
    NotServed,
    InternalError,
    ServiceBusy,
    TokenInvalidParam,
    TokenSecretInvalid,
)
"""Every wire error; the docs test checks that each code is documented."""
