"""The console's part of the route table, under /console, and its static assets (shipped
in the package: htmx, Apache ECharts, the console's own script and style; see
static/README.md for their versions and licences)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..helpdesk.messages.service import TicketMessages
from ..helpdesk.tickets.lifecycle import TicketLifecycle
from ..store.base import Store
from .actions import Actions
from .pages import Pages
from .web import PREFIX, Web, secured

STATIC = {
    "htmx.min.js": "text/javascript",
    "echarts.min.js": "text/javascript",
    "console.js": "text/javascript",
    "console.css": "text/css",
}


class ConsoleRoutes:
    def __init__(
        self,
        store: Store,
        lifecycle: TicketLifecycle,
        messages: TicketMessages,
        on_retry: Callable[[], None] = lambda: None,
    ) -> None:
        self.web = web = Web(store)
        self.pages = Pages(web, store, lifecycle, messages)
        self.actions = Actions(web, self.pages, store, lifecycle, messages, on_retry)
        self._static: dict[str, bytes] = {}

    def start(self) -> None:
        """At the server's start: compile the templates, start reading the metrics
        rollups in the background (console/warmup.py)."""
        self.web.compile_templates()
        self.pages.warmup.start()

    def stop(self) -> None:
        self.pages.warmup.stop()

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        media = STATIC.get(name)
        if media is None:
            return Response("not found", status_code=404, media_type="text/plain")
        if name not in self._static:
            self._static[name] = (
                resources.files("larkdesk.console").joinpath("static", name).read_bytes()
            )
        response = Response(self._static[name], media_type=media)
        response.headers["cache-control"] = "public, max-age=86400"
        return secured_static(response)

    def routes(self) -> list[Route]:
        """The console's routes (pages, their actions, static files)."""
        p, a = self.pages, self.actions
        desk = PREFIX + "/h/{helpdesk_id}"
        return [
            Route(PREFIX, p.home, methods=["GET"]),
            Route(PREFIX + "/", p.home, methods=["GET"]),
            Route(PREFIX + "/signin", a.signin_form, methods=["GET"]),
            Route(PREFIX + "/signin", a.signin, methods=["POST"]),
            Route(PREFIX + "/signout", a.signout, methods=["POST"]),
            Route(PREFIX + "/lang", a.language, methods=["GET"]),
            Route(PREFIX + "/static/{name}", self.static, methods=["GET"]),
            Route(desk + "/tickets", p.tickets, methods=["GET"]),
            Route(desk + "/tickets.csv", p.tickets_csv, methods=["GET"]),
            Route(desk + "/tickets/{ticket_id}", p.ticket, methods=["GET"]),
            Route(desk + "/tickets/{ticket_id}/reply", a.reply, methods=["POST"]),
            Route(desk + "/tickets/{ticket_id}/images/{msg_id}/{index}", p.image, methods=["GET"]),
            Route(desk + "/tickets/{ticket_id}/update", a.update, methods=["POST"]),
            Route(desk + "/metrics", p.metrics, methods=["GET"]),
            Route(desk + "/events", p.events, methods=["GET"]),
            Route(desk + "/events/{outbox_id}/retry", a.retry, methods=["POST"]),
        ]


def secured_static(response: Response) -> Response:
    cache = response.headers["cache-control"]
    secured(response)
    response.headers["cache-control"] = cache
    return response
