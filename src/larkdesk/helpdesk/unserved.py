"""The Helpdesk v1 APIs larkdesk does not serve yet: each answers, after the gateway
(token, scope, rate limit, helpdesk header, as a served API would), Feishu's JSON error
501/155000 naming the API, instead of the plain-text `404 page not found` a path Feishu
does not serve gets. lark-oapi parses it into a failed response (`code` 155000) where
plain text would raise JSONDecodeError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..auth.gateway import Api, Gateway
from ..errors import NotServed
from ..ratelimit import FEISHU_HELPDESK_LIMITS
from .scopes import READ_SCOPES, WRITE_SCOPES
from .surface import ENDPOINTS, USER, Endpoint


class NotServedRoute(Route):
    """A route that only answers 501/155000 (told apart from an API's own routes)."""


def served(routes: Iterable[BaseRoute]) -> set[tuple[str, str]]:
    """`(method, path template)` of every route that serves an API."""
    pairs: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Route) and not isinstance(route, NotServedRoute):
            pairs.update((method, shape(route.path)) for method in route.methods or ())
    return pairs


def shape(template: str) -> str:
    """A path template with its parameters unnamed: `/tickets/{id}` as `/tickets/{}`."""
    return re.sub(r"\{\w+\}", "{}", template)


def unserved_endpoints(routes: Iterable[BaseRoute]) -> list[Endpoint]:
    """The Helpdesk v1 endpoints no route in `routes` answers, in `ENDPOINTS`' order."""
    taken = served(routes)
    return [e for e in ENDPOINTS if (e.method, shape(e.path)) not in taken]


def _answer_not_served(gateway: Gateway, endpoint: Endpoint) -> NotServedRoute:
    api = Api(
        f"helpdesk.v1.unserved.{endpoint.request_class}",
        READ_SCOPES if endpoint.reads else WRITE_SCOPES,
        FEISHU_HELPDESK_LIMITS,
        user_token=USER in endpoint.tokens,
    )

    async def not_served(request: Request) -> Response:
        await gateway.admit(request.headers, api)
        raise NotServed(
            f"larkdesk does not serve {endpoint.method} {endpoint.path} "
            f"({endpoint.request_class}) yet; docs/api.md lists what it serves"
        )

    return NotServedRoute(endpoint.path, not_served, methods=[endpoint.method])


def not_served_routes(gateway: Gateway, routes: Iterable[BaseRoute]) -> list[NotServedRoute]:
    """A route for each Helpdesk v1 endpoint `routes` leaves out, answering 501/155000."""
    return [_answer_not_served(gateway, e) for e in unserved_endpoints(routes)]
