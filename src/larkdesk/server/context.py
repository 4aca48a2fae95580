"""What the request log learns about a request while it is answered: which app made it.

The request log middleware starts a `RequestFacts` per request; code deeper in (the auth
gateway, the token endpoints) notes the app once it knows it. A context variable holding a
mutable object: what is noted inside the handler is seen by the middleware afterwards.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class RequestFacts:
    app_id: str = ""


_current: ContextVar[RequestFacts | None] = ContextVar("larkdesk_request", default=None)


def begin_request() -> RequestFacts:
    """A fresh record for the request this task now answers."""
    facts = RequestFacts()
    _current.set(facts)
    return facts


def note_app(app_id: str) -> None:
    """The request is made by `app_id` (outside a request, nothing to note)."""
    facts = _current.get()
    if facts is not None:
        facts.app_id = app_id
