"""Make client-chosen text safe to write into a log line.

A path is percent-decoded before it is logged, so `%0A` in it would end the line and let a
client write a forged one. Every control character (and the Unicode line and paragraph
separators some viewers break lines on) is written as an escape, and so is the backslash
itself, so an escape in the log always means the client sent that character.
"""

from __future__ import annotations

_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_ESCAPES: dict[int, str] = {
    ord("\\"): "\\\\",
    **{code: f"\\x{code:02x}" for code in _CONTROLS},
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def escape(text: str) -> str:
    """`text` with backslashes and control characters escaped, one log line whatever it holds."""
    return text.translate(_ESCAPES)
