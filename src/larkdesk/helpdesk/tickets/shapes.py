"""The ticket shapes larkdesk answers in: Feishu's documented one, or the one its service
has been seen to send (`serve --wire observed`, `LARKDESK_WIRE`).

Feishu documents `comments` as one object and `dissatisfaction_reason` as one i18n
object (lark-oapi's `TicketV2`), but its service has answered both as arrays (FIDELITY.md,
"Where Feishu's service differs from its own document"). The observed shape wraps each
object in a one-element array, so integrations can be hardened against both. Stored
bodies are in whatever shape they were written (kept tickets as their source sent them);
the transformation touches only those two top-level values and copies every other value's
bytes as they are, and a value that already is an array stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

WireShape = Literal["documented", "observed"]
WIRE_SHAPES: tuple[WireShape, ...] = ("documented", "observed")
LISTED = ("comments", "dissatisfaction_reason")
_MARKERS = tuple(b'"%s"' % name.encode() for name in LISTED)
_top_level = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_encode = msgspec.json.Encoder().encode

Shape = Callable[[bytes], bytes]


def observed(body: bytes) -> bytes:
    """The ticket's wire JSON with `comments` and `dissatisfaction_reason` as arrays."""
    if not any(marker in body for marker in _MARKERS):
        return body  # most tickets: nothing to change, nothing decoded
    fields = _top_level(body)
    changed = False
    for name in LISTED:
        value = fields.get(name)
        if value is not None and bytes(value).lstrip()[:1] == b"{":
            fields[name] = msgspec.Raw(b"[" + bytes(value) + b"]")
            changed = True
    return _encode(fields) if changed else body


def shape_of(wire: WireShape) -> Shape | None:
    """The transformation a wire shape needs; None for the documented one (no work at all,
    so the list API keeps concatenating stored bytes)."""
    return observed if wire == "observed" else None
