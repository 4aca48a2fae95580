"""How much of a request larkdesk reads, and for how long: one table, documented in
docs/api.md ("Hardening").

Body limits follow the documented maxima of each endpoint's fields, not one number for
all (64 KiB refused a legal update of 100 tag names of 255 CJK characters). The largest
legal body is worked out with every text at its maximum length and every character an
astral one written as a JSON escape pair (`\\ud83d\\ude00`, 12 bytes a character: the most
a JSON encoder can spend on one); `tests/test_hardening_limits.py` builds those bodies
and checks each is accepted and has this headroom over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KIB = 1024
MIB = 1024 * KIB

MAX_HEAD_BYTES = 64 * KIB
"""Request line and headers together, as common proxies allow; more is 400/154000."""

HEAD_TIMEOUT_SECONDS = 30.0
"""Time for a request's line and headers to arrive, from the connection opening or the
previous response; a client slower than that is disconnected (408 when it sent a byte)."""

BODY_TIMEOUT_SECONDS = 30.0
"""Time for a whole body to arrive after its headers; 408 (or a close) after that."""

TOKEN_BODY_BYTES = 64 * KIB
"""`{app_id, app_secret}`: a few hundred bytes at most."""

UPDATE_TICKET_BODY_BYTES = 4 * MIB
"""About 2.6 MB at most: 100 tag names of 255 characters (0.31 MB), a comment of 10,000
(0.12 MB), 100 `customized_fields` items echoing their definition (`id`, `key_name`,
`display_name` 255 characters each, `value` 1024, `position`, two booleans: 2.2 MB)."""

START_SERVICE_BODY_BYTES = 1 * MIB
"""About 0.36 MB at most: `open_id` (255), 100 `appointed_agents` (255 each) and
`customized_info` (4096 characters)."""

FIELD_BODY_BYTES = 1 * MIB
"""About 0.38 MB at most: `key_name`, `display_name` (255), `description` (4096) and 100
dropdown options (`display_name` 255 and an echoed `tag`)."""

LIST_FIELDS_BODY_BYTES = 64 * KIB
"""`{"visible": bool}`, which lark-oapi sends as the body of a GET."""


@dataclass(frozen=True, slots=True)
class WireLimits:
    """The limits the HTTP protocol enforces below the app (`server.protocols`)."""

    max_head_bytes: int = MAX_HEAD_BYTES
    head_timeout: float = HEAD_TIMEOUT_SECONDS
    body_timeout: float = BODY_TIMEOUT_SECONDS


HttpImplementation = Literal["httptools", "h11"]


@dataclass(frozen=True, slots=True)
class WireOptions:
    """How requests are read: uvicorn's HTTP parser and the limits on heads and bodies."""

    http: HttpImplementation = "httptools"
    limits: WireLimits = field(default_factory=WireLimits)
