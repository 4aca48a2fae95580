"""The console's writes: sign in and out, the language switch, an agent's actions on a
ticket (through the same services as the API: the message service for a reply, the
ticket lifecycle for status, tags and comments) and "retry now" of an event delivery.
Every POST needs the session's CSRF token (the sign-in form: its double-submit cookie)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .. import metrics
from ..errors import BadRequest, FeishuError
from ..helpdesk.messages.content import parse_text
from ..helpdesk.messages.service import Draft, TicketMessages
from ..helpdesk.models import CustomizedFieldDisplayItem
from ..helpdesk.tickets.bodies import UpdateTicketBody, check_update
from ..helpdesk.tickets.lifecycle import TicketLifecycle
from ..store.base import Actor, Store
from . import i18n
from .pages import Pages
from .session import SignInRefused, operator_session, sign_in_app
from .web import PREFIX, SIGNIN_COOKIE, Web, new_signin_token, secured, signed_out

MAX_FORM_FIELD = 20_000
FIELD_PREFIX = "field."  # the ticket page's custom-field inputs: field.<field id>
MAX_FORM_BYTES = 256 * 1024


async def read_form(request: Request) -> FormData:
    """The POST's url-encoded form (the console's forms send nothing else); past
    MAX_FORM_BYTES the rest is not read, so the form is empty of what came later."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return FormData()
    pairs: list[tuple[str, str | UploadFile]] = list(
        parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    )
    return FormData(pairs)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FORM_FIELD] if isinstance(value, str) else ""


def _safe_next(target: str) -> str:
    """Only a path of the console: never another site (an open redirect)."""
    if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


class Actions:
    def __init__(
        self,
        web: Web,
        pages: Pages,
        store: Store,
        lifecycle: TicketLifecycle,
        messages: TicketMessages,
        on_retry: Callable[[], None],
    ) -> None:
        self.web = web
        self.pages = pages
        self.store = store
        self.lifecycle = lifecycle
        self.messages = messages
        self.on_retry = on_retry

    async def signin_form(self, request: Request, error: str | None = None) -> Response:
        page = await self.web.page(request)
        token = new_signin_token()
        response = self.web.render(
            page,
            "signin.html",
            status=401 if error else 200,
            error=error,
            signin_token=token,
            next=_safe_next(request.query_params.get("next", PREFIX)),
        )
        response.set_cookie(
            SIGNIN_COOKIE, token, path=PREFIX, httponly=True, samesite="strict", max_age=3600
        )
        return response

    async def signin(self, request: Request) -> Response:
        form = await read_form(request)
        cookie = request.cookies.get(SIGNIN_COOKIE, "")
        given = _field(form, "signin_token")
        if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
            return await self.signin_form(request, "the sign-in form expired; try again")
        operator = _field(form, "operator_token").strip()
        signer = await self.web.signer()
        if operator:
            if not signer.operator_ok(operator):
                return await self.signin_form(request, "the operator token is wrong or expired")
            session, kind = operator_session(), "operator"
        else:
            try:
                session = await anyio.to_thread.run_sync(
                    sign_in_app,
                    self.store,
                    _field(form, "app_id"),
                    _field(form, "app_secret"),
                    _field(form, "helpdesk_id"),
                    _field(form, "helpdesk_token"),
                )
            except SignInRefused as exc:
                return await self.signin_form(request, str(exc))
            kind = "app"
        metrics.console_logins.labels(kind).inc()
        target = _safe_next(_field(form, "next") or PREFIX)
        return await self.web.start_session(session, target, request.url.scheme == "https")

    async def signout(self, request: Request) -> Response:
        page = await self.web.page(request)
        form = await read_form(request)
        if page.session is not None and not page.session.csrf_ok(_field(form, "csrf")):
            return secured(Response("CSRF token missing or wrong", status_code=403))
        return signed_out()

    async def language(self, request: Request) -> Response:
        lang = request.query_params.get("to", "en")
        response = secured(
            RedirectResponse(_safe_next(request.query_params.get("next", PREFIX)), 303)
        )
        if lang in i18n.LANGS:
            response.set_cookie(
                i18n.LANG_COOKIE, lang, path=PREFIX, samesite="lax", max_age=365 * 86400
            )
        return response

    async def _checked(self, request: Request) -> tuple[FormData, Response | None]:
        """The POST's form, or the response refusing it (no session, a foreign helpdesk,
        a missing or wrong CSRF token)."""
        page, _, refused = await self.pages.desk(request)
        form = await read_form(request)
        if refused is not None:
            return form, refused
        if page.session is None or not page.session.csrf_ok(_field(form, "csrf")):
            return form, secured(Response("CSRF token missing or wrong", status_code=403))
        return form, None

    async def reply(self, request: Request) -> Response:
        form, refused = await self._checked(request)
        if refused is not None:
            return refused
        helpdesk_id, ticket_id = (
            request.path_params["helpdesk_id"],
            request.path_params["ticket_id"],
        )
        try:
            draft = Draft("agent", parse_text({"text": _field(form, "text")}))
            await anyio.to_thread.run_sync(self.messages.post, helpdesk_id, ticket_id, draft)
        except FeishuError as exc:
            return await self.pages.ticket(request, error=exc.message)
        return self._back_to_ticket(helpdesk_id, ticket_id)

    async def update(self, request: Request) -> Response:
        form, refused = await self._checked(request)
        if refused is not None:
            return refused
        helpdesk_id, ticket_id = (
            request.path_params["helpdesk_id"],
            request.path_params["ticket_id"],
        )
        page = await self.web.page(request)
        by = console_actor(page.session.who if page.session else "")
        try:
            change = check_update(_update_body(form))
            await anyio.to_thread.run_sync(
                self.lifecycle.update_ticket, helpdesk_id, ticket_id, change, None, by
            )
        except FeishuError as exc:
            return await self.pages.ticket(request, error=exc.message)
        return self._back_to_ticket(helpdesk_id, ticket_id)

    def _back_to_ticket(self, helpdesk_id: str, ticket_id: str) -> Response:
        to = f"{PREFIX}/h/{helpdesk_id}/tickets/{ticket_id}"
        return secured(RedirectResponse(to, status_code=303))

    async def retry(self, request: Request) -> Response:
        _, refused = await self._checked(request)
        if refused is not None:
            return refused
        helpdesk_id = request.path_params["helpdesk_id"]
        try:
            outbox_id = int(request.path_params["outbox_id"])
        except ValueError:
            return await self.pages.events(request, note=None)
        now = int(time.time() * 1000)
        done = await anyio.to_thread.run_sync(
            self.store.retry_delivery, helpdesk_id, outbox_id, now
        )
        if done:
            self.on_retry()
        return await self.pages.events(request, note="queued_retry" if done else "none")


def console_actor(who: str) -> Actor:
    """Who a console session acts as (the app it signed in with, or the operator)."""
    if who == "operator":
        return Actor("operator", source="console")
    return Actor("app", who, source="console")


def _update_body(form: FormData) -> UpdateTicketBody:
    """The API's update body from the ticket page's form (blank fields change nothing)."""
    body = UpdateTicketBody()
    status = _field(form, "status").strip()
    if status:
        try:
            body.status = int(status)
        except ValueError:
            raise BadRequest(f"status must be an integer, got {status!r}") from None
    if "tags" in form:
        body.tag_names = [n.strip() for n in _field(form, "tags").split(",") if n.strip()]
    comment = _field(form, "comment")
    if comment.strip():
        body.comment = comment
    fields = [
        CustomizedFieldDisplayItem(id=key[len(FIELD_PREFIX) :], value=value)
        for key, value in form.multi_items()
        if key.startswith(FIELD_PREFIX) and isinstance(value, str)
    ]
    if fields:
        body.customized_fields = fields
    return body
