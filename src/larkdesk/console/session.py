"""Console sessions: who signed in (an app of a tenant with the helpdesks it proved, or the
operator), kept in a signed, HttpOnly, SameSite=Lax cookie; and operator tokens.

Both are signed with itsdangerous under a server secret kept in the database
(`server_secrets`, name `console`), so every worker and restart agrees; rotating that
row signs everybody out. A session carries its CSRF token: every POST must echo it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..auth.credentials import secret_matches
from ..store.base import Helpdesk, Store

SECRET_NAME = "console"
COOKIE = "larkdesk_console"
SESSION_SECONDS = 12 * 3600
OPERATOR_PREFIX = "lkc_"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in console user: `tenant_key` None is the operator (every helpdesk)."""

    tenant_key: str | None
    helpdesk_ids: tuple[str, ...]
    csrf: str
    who: str  # the app id, or "operator"

    def may_see(self, helpdesk: Helpdesk) -> bool:
        if self.tenant_key is None:
            return True
        return helpdesk.tenant_key == self.tenant_key and helpdesk.helpdesk_id in self.helpdesk_ids

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


class SignInRefused(Exception):
    """Sign-in failed; the message is safe to show (it never says which secret was wrong)."""


class Signer:
    """Signs and reads session cookies and operator tokens under the store's secret."""

    def __init__(self, store: Store) -> None:
        key = store.server_secret(SECRET_NAME, secrets.token_hex(32))
        self._sessions = URLSafeTimedSerializer(key, salt="larkdesk-console-session")
        self._operator = URLSafeTimedSerializer(key, salt="larkdesk-console-operator")

    def cookie(self, session: Session) -> str:
        return self._sessions.dumps(
            {
                "t": session.tenant_key,
                "h": list(session.helpdesk_ids),
                "c": session.csrf,
                "w": session.who,
            }
        )

    def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        return Session(data.get("t"), tuple(data.get("h") or ()), str(data["c"]), str(data["w"]))

    def operator_token(self, hours: float) -> str:
        """A token for `larkdesk console token`, good for `hours`."""
        return OPERATOR_PREFIX + self._operator.dumps({"s": int(hours * 3600)})

    def operator_ok(self, token: str) -> bool:
        token = token.strip()
        if not token.startswith(OPERATOR_PREFIX):
            return False
        try:
            data, _ = self._operator.loads(token[len(OPERATOR_PREFIX) :], return_timestamp=True)
            self._operator.loads(token[len(OPERATOR_PREFIX) :], max_age=int(data["s"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return False
        return True


def sign_in_app(
    store: Store, app_id: str, app_secret: str, helpdesk_id: str, helpdesk_token: str
) -> Session:
    """A session for an app holding a helpdesk's credentials, as the API's gateway checks
    them: the app's secret, the helpdesk's token, and both of one tenant."""
    app = store.get_app(app_id.strip()) if app_id.strip() else None
    if app is None or not secret_matches(app_secret, app.secret_hash):
        raise SignInRefused("app_id or app_secret is wrong")
    helpdesk = store.get_helpdesk(helpdesk_id.strip()) if helpdesk_id.strip() else None
    if helpdesk is None or not secret_matches(helpdesk_token, helpdesk.token_hash):
        raise SignInRefused("helpdesk_id or helpdesk_token is wrong")
    if helpdesk.tenant_key != app.tenant_key:
        raise SignInRefused("the helpdesk does not belong to this app's tenant")
    return Session(app.tenant_key, (helpdesk.helpdesk_id,), secrets.token_urlsafe(24), app.app_id)


def operator_session() -> Session:
    return Session(None, (), secrets.token_urlsafe(24), "operator")
