"""What every console page shares: the Jinja2 environment (autoescape on), the session
read from its cookie, the language, CSRF checks and the security headers."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..store.base import Helpdesk, Store
from . import i18n
from .session import COOKIE, SESSION_SECONDS, Session, Signer

PREFIX = "/console"
SIGNIN_COOKIE = "larkdesk_console_signin"  # double-submit token of the sign-in form
# No inline script runs: scripts come from /console/static only, so a text that escaped
# escaping still could not execute (ECharts sets inline styles: those are allowed).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _when(ms: int | None) -> str:
    if ms is None or ms <= 0:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(ms: int | None) -> str:
    if ms is None:
        return "–"
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60}m"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("larkdesk.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the package's templates do not change while it runs
    )
    env.filters["when"] = _when
    env.filters["duration"] = _duration
    env.filters["percent"] = _percent
    return env


@dataclass
class Page:
    """One request's console context: its session (if any), language and store."""

    request: Request
    session: Session | None
    lang: str

    def t(self, key: str) -> str:
        return i18n.translator(self.lang)(key)


class Web:
    """Rendering and session plumbing for the console's handlers."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.env = environment()
        self._signer: Signer | None = None

    async def signer(self) -> Signer:
        if self._signer is None:  # made at the first console request: a database write
            self._signer = await anyio.to_thread.run_sync(Signer, self.store)
        return self._signer

    async def page(self, request: Request) -> Page:
        signer = await self.signer()
        lang = i18n.choose(
            request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
        )
        return Page(request, signer.session(request.cookies.get(COOKIE)), lang)

    def compile_templates(self) -> None:
        """Compile every page's template now (the server's start), not in a first view of
        each page (~80 ms of the ticket page's first view)."""
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)

    def render(self, page: Page, template: str, status: int = 200, **context: Any) -> Response:
        body = self.env.get_template(template).render(
            t=page.t,
            lang=page.lang,
            session=page.session,
            prefix=PREFIX,
            path=page.request.url.path,
            query=page.request.url.query,
            status_name=lambda s: i18n.status_name(page.lang, s),
            **context,
        )
        return secured(HTMLResponse(body, status_code=status))

    async def helpdesks(self, page: Page) -> list[Helpdesk]:
        """The helpdesks the session may see."""
        session = page.session
        if session is None:
            return []
        found = await anyio.to_thread.run_sync(self.store.list_helpdesks, session.tenant_key)
        return [h for h in found if session.may_see(h)]

    async def helpdesk(self, page: Page, helpdesk_id: str) -> Helpdesk | None:
        """The helpdesk if the session may see it (None otherwise, or if there is none)."""
        found = await anyio.to_thread.run_sync(self.store.get_helpdesk, helpdesk_id)
        if found is None or page.session is None or not page.session.may_see(found):
            return None
        return found

    async def start_session(self, session: Session, to: str, https: bool) -> Response:
        response = secured(RedirectResponse(to, status_code=303))
        signer = await self.signer()
        response.set_cookie(
            COOKIE,
            signer.cookie(session),
            max_age=SESSION_SECONDS,
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=https,
        )
        response.delete_cookie(SIGNIN_COOKIE, path=PREFIX)
        return response


def secured(response: Response) -> Response:
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "same-origin"
    response.headers["cache-control"] = "no-store"
    return response


def new_signin_token() -> str:
    return secrets.token_urlsafe(24)


def signed_out(to: str = PREFIX + "/signin") -> Response:
    response = secured(RedirectResponse(to, status_code=303))
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
