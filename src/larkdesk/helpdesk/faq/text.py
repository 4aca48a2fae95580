"""FAQ text as search reads it, and the search query as Feishu sends it.

Decisions where Feishu's documents are silent (docs/api.md):
- a query is split on whitespace into terms; a FAQ matches when every term occurs in its
  question or answer, case-insensitively (casefolded), as a substring in any script;
- `base64=true` means `query` is base64 (standard or URL-safe alphabet, padding optional)
  of UTF-8 text, Feishu's way to send text with spaces or CJK without URL encoding;
- at most 10 terms and 200 characters.
"""

from __future__ import annotations

import base64
import binascii

from ...errors import BadRequest
from ..params import shown
from .bodies import Richtext

MAX_QUERY_CHARS = 200
MAX_TERMS = 10


def folded(text: str) -> str:
    return text.casefold()


def answer_text(answer: str | None, richtext: list[Richtext] | None) -> str:
    """What search reads of an answer: the plain answer and the rich text's text parts."""
    parts = [answer or ""]
    parts += [item.content or "" for item in richtext or () if item.type != "image"]
    return "\n".join(part for part in parts if part)


def search_terms(name: str, text: str) -> tuple[str, ...]:
    """The casefolded terms of a query; `BadRequest` naming `name` if there are none or
    too many."""
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(f"{name} is longer than {MAX_QUERY_CHARS} characters")
    if "\x00" in text:
        raise BadRequest(f"{name} must not contain the NUL character")
    terms = tuple(dict.fromkeys(folded(text).split()))
    if not terms:
        raise BadRequest(f"{name} must not be blank")
    if len(terms) > MAX_TERMS:
        raise BadRequest(f"{name} has more than {MAX_TERMS} terms")
    return terms


def decoded_query(query: str, is_base64: str | None) -> str:
    """`query` as text: decoded when `base64` is "true"."""
    flag = (is_base64 or "false").lower()
    if flag not in ("true", "false"):
        raise BadRequest(f"base64 must be true or false, got {shown(is_base64 or '')}")
    if flag == "false":
        return query
    padded = query.strip() + "=" * (-len(query.strip()) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest(f"query is not base64 of UTF-8 text: {shown(query)}") from None
