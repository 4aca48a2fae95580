"""The long connection's two doors (EVENTS.md §3.7): endpoint discovery,
`POST /callback/ws/endpoint` (outside /open-apis; Feishu's codes in a JSON body, always
with a `data` object, which the Node SDK destructures), and the WebSocket it hands out.

The URL carries what the SDKs parse (`device_id`, the connection's id, and a numeric
`service_id`, neither of them first: the Node SDK parses the whole URL as a query string)
and a ticket: the app id, the connection id and an expiry, signed with the server's
secret, good for `TICKET_TTL_MS`. A refused handshake says why in Feishu's headers
(`Handshake-Status`, `Handshake-Msg`, `Handshake-Autherrcode`), which lark-oapi reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from ..auth.credentials import secret_matches
from ..errors import BadRequest
from ..helpdesk.ids import now_ms
from ..helpdesk.json_body import read_body
from ..server import envelope
from ..store.event_records import LONG_CONNECTION
from . import pbbp2
from .connections import CLIENT_CONFIG, ConnectionHub, LiveConnection, pong

log = logging.getLogger("larkdesk.events")

ENDPOINT = "/callback/ws/endpoint"
SOCKET = "/ws/v2"
TICKET_TTL_MS = 5 * 60 * 1000
TICKET_SECRET = "long_connection_ticket"
# Feishu's endpoint codes (lark-oapi ws/const.py)
OK, FORBIDDEN, AUTH_FAILED = 0, 403, 514
INTERNAL_ERROR, NO_CREDENTIAL, EXCEED_CONN_LIMIT = 1000040343, 1000040344, 1000040350


def _answer(code: int, msg: str, data: dict[str, Any] | None = None) -> Response:
    body = {"code": code, "msg": msg, "data": data or {}}
    return envelope.json_response(json.dumps(body, separators=(",", ":")).encode())


class LongConnectionRoutes:
    def __init__(self, hub: ConnectionHub) -> None:
        self._hub = hub
        self._key = b""

    @property
    def key(self) -> bytes:
        """The tickets' signing key, one per server (all workers share it)."""
        if not self._key:
            self._key = bytes.fromhex(
                self._hub.store.server_secret(TICKET_SECRET, secrets.token_hex(32))
            )
        return self._key

    def ticket(self, app_id: str, conn_id: str, expires_at: int) -> str:
        claim = f"{app_id}:{conn_id}:{expires_at}".encode()
        mac = hmac.new(self.key, claim, hashlib.sha256).hexdigest()[:32]
        return base64.urlsafe_b64encode(claim).decode().rstrip("=") + "." + mac

    def app_of(self, ticket: str, conn_id: str, now: int) -> str | None:
        """The app a ticket admits to `conn_id`, if it is genuine and unexpired."""
        encoded, _, mac = ticket.partition(".")
        try:
            claim = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            app_id, conn, expires = claim.decode().split(":")
            expires_at = int(expires)
        except ValueError:
            return None
        good = hmac.new(self.key, claim, hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, good) or conn != conn_id or expires_at < now:
            return None
        return app_id

    async def endpoint(self, request: Request) -> Response:
        raw = await read_body(request, 64 * 1024)
        try:
            body = json.loads(raw)
        except ValueError:
            raise BadRequest("the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the request body must be a JSON object")
        app_id, secret = body.get("AppID"), body.get("AppSecret")
        if not isinstance(app_id, str) or not app_id:
            return _answer(NO_CREDENTIAL, "AppID is required")
        if not isinstance(secret, str) or not secret:
            why = "client assertions are not supported" if body.get("ClientAssertion") else ""
            return _answer(NO_CREDENTIAL, "AppSecret is required" + (f" ({why})" if why else ""))
        refusal = await anyio.to_thread.run_sync(self._refusal, app_id, secret)
        if refusal is not None:
            return refusal
        if not self._hub.running:  # shutting down: the SDKs retry this code
            return _answer(INTERNAL_ERROR, "the server is shutting down, try again")
        conn_id = secrets.token_hex(8)
        service_id = secrets.randbelow(2**31 - 1) + 1
        ticket = self.ticket(app_id, conn_id, now_ms() + TICKET_TTL_MS)
        scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
        host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
        url = (
            f"{scheme}://{host}{SOCKET}?fpid=1&device_id={conn_id}"
            f"&service_id={service_id}&ticket={ticket}"
        )
        return _answer(OK, "ok", {"URL": url, "ClientConfig": CLIENT_CONFIG})

    def _refusal(self, app_id: str, secret: str) -> Response | None:
        store = self._hub.store
        app = store.get_app(app_id)
        if app is None or not secret_matches(secret, app.secret_hash):
            return _answer(AUTH_FAILED, "auth failed: unknown app or wrong app secret")
        settings = store.get_event_settings(app_id)
        if settings is None or settings.mode != LONG_CONNECTION:
            return _answer(
                FORBIDDEN,
                f"app {app_id} receives events by webhook, not by long connection: switch it"
                f" with `larkdesk app events {app_id} --mode long-connection`",
            )
        if store.live_event_connections(app_id, now_ms()) >= self._hub.cap:
            return _answer(
                EXCEED_CONN_LIMIT,
                f"exceeded connection limit: app {app_id} has {self._hub.cap} long connections",
            )
        return None

    async def socket(self, websocket: WebSocket) -> None:
        params = websocket.query_params
        conn_id = params.get("device_id", "")
        app_id = self.app_of(params.get("ticket", ""), conn_id, now_ms())
        try:
            service_id = int(params.get("service_id", ""))
        except ValueError:
            service_id = -1
        if app_id is None or service_id < 0:
            await _deny(websocket, AUTH_FAILED, AUTH_FAILED, "invalid or expired ticket")
            return
        if not self._hub.running:
            await _deny(websocket, INTERNAL_ERROR, INTERNAL_ERROR, "shutting down, try again")
            return
        conn = await self._hub.admit(conn_id, app_id, service_id, websocket.send_bytes)
        if conn is None:
            await _deny(
                websocket,
                AUTH_FAILED,
                EXCEED_CONN_LIMIT,
                f"exceeded connection limit ({self._hub.cap}), or the ticket was used",
            )
            return
        conn.closer = websocket.close
        try:
            await websocket.accept()
            await self._serve(websocket, conn)
        finally:
            await self._hub.leave(conn)

    async def _serve(self, websocket: WebSocket, conn: LiveConnection) -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                continue  # a text message: nothing the protocol sends
            try:
                frame = pbbp2.decode(data)
            except pbbp2.FrameError as exc:
                log.info("long connection %s: a bad frame: %s", conn.conn_id, exc)
                continue
            if frame.method == pbbp2.CONTROL and frame.header(pbbp2.TYPE) == pbbp2.PING:
                await conn.send_frame(pong(frame))
            elif frame.method == pbbp2.DATA:
                conn.acked(frame)

    def routes(self) -> list[Route]:
        return [Route(ENDPOINT, self.endpoint, methods=["POST"])]

    def socket_routes(self) -> list[WebSocketRoute]:
        return [WebSocketRoute(SOCKET, self.socket)]


async def _deny(websocket: WebSocket, status: int, auth_code: int, msg: str) -> None:
    """Refuse the handshake (HTTP 403) with Feishu's handshake headers."""
    headers = {
        "Handshake-Status": str(status),
        "Handshake-Msg": msg,
        "Handshake-Autherrcode": str(auth_code),
    }
    await websocket.send_denial_response(Response(msg, status_code=403, headers=headers))
