"""Messages as stored and as sent: what a conversation's message carries (everything the
`helpdesk.ticket_message.created_v1` event needs), its wire shape in the list API
(lark-oapi's `TicketMessage`), and the reading of a message's `content` by `msg_type`.

Decisions where Feishu's documents are silent (docs/api.md repeats them):
- `content` may be a JSON string (lark-oapi's type) or, as in the curl example of Feishu's
  document, a JSON object;
- text: an im-style `{"text": "..."}` (object, or a string holding one) gives its `text`;
  any other string is the text itself;
- post: JSON rich text, checked loosely: `{"zh_cn": {"title", "content": [[{"tag": ...}]]}}`
  (one block per language), a bare `{"title", "content"}` block, or either wrapped in
  `{"post": ...}` or `{"msg_type": "post", "content": ...}`; every element needs a `tag`;
  `img` elements' `image_key`s become the post's `image_keys`;
- the list API's `content` is the text for text, the post's JSON (compact, unwrapped) for
  post, the image key for image, the card's JSON for interactive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ...errors import BadRequest

TEXT, POST, IMAGE, INTERACTIVE = "text", "post", "image", "interactive"
BOT, GUEST, AGENT = 1, 2, 3  # the message event's sender_type
MAX_TEXT = 20_000
MAX_CONTENT_BYTES = 60_000

_encode = msgspec.json.Encoder().encode


class MessageContent(msgspec.Struct, omit_defaults=True):
    """The message event's `content` (lark-oapi's `TicketMessageContent`)."""

    content: str | None = None
    msg_type: str | None = None
    image_keys: list[str] | None = None
    image_key: str | None = None


class Sender(msgspec.Struct, omit_defaults=True):
    open_id: str | None = None
    name: str | None = None
    avatar_url: str | None = None


class StoredMessage(msgspec.Struct, omit_defaults=True):
    """One message as kept: ids, place in the conversation, sender, text and content."""

    ticket_message_id: str
    message_id: str
    msg_type: str
    position: int
    sender_type: int
    created_at: int
    text: str = ""
    content: MessageContent = msgspec.field(default_factory=MessageContent)
    sender: Sender | None = None
    ticket_id: str | None = None
    receiver_id: str | None = None  # a bot message to a user's private chat


class TicketMessage(msgspec.Struct, omit_defaults=True):
    """A message in the list API (lark-oapi's `TicketMessage`)."""

    id: str
    message_id: str
    message_type: str
    created_at: int
    content: str = ""
    user_name: str | None = None
    avatar_url: str | None = None
    user_id: str | None = None


_decode_stored = msgspec.json.Decoder(StoredMessage).decode


def decode_stored(raw: bytes) -> StoredMessage:
    return _decode_stored(raw)


def encode_stored(message: StoredMessage) -> bytes:
    return _encode(message)


def to_wire(message: StoredMessage) -> TicketMessage:
    sender = message.sender or Sender()
    return TicketMessage(
        id=message.ticket_message_id,
        message_id=message.message_id,
        message_type=message.msg_type,
        created_at=message.created_at,
        content=message.content.content or "",
        user_name=sender.name,
        avatar_url=sender.avatar_url,
        user_id=sender.open_id,
    )


@dataclass(frozen=True, slots=True)
class Parsed:
    """A message's content, read: its text and its event `content`."""

    text: str
    content: MessageContent


def _as_object(raw: str | dict[str, Any], what: str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise BadRequest(f"content: {what} must be a JSON object") from None
    if not isinstance(value, dict):
        raise BadRequest(f"content: {what} must be a JSON object")
    return value


def _checked_text(text: str) -> str:
    if not text.strip():
        raise BadRequest("content: the text must not be blank")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"content: the text is longer than {MAX_TEXT} characters")
    if "\x00" in text:
        raise BadRequest("content: the text must not contain the NUL character")
    return text


def parse_text(raw: str | dict[str, Any]) -> Parsed:
    text: Any = raw
    if isinstance(raw, dict):
        text = raw.get("text")
    elif raw.lstrip().startswith("{"):
        try:
            value = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            text = value["text"]
    if not isinstance(text, str):
        raise BadRequest('content: a text message is a string or {"text": "..."}')
    text = _checked_text(text)
    return Parsed(text, MessageContent(content=text, msg_type=TEXT))


def _unwrap_post(post: dict[str, Any]) -> dict[str, Any]:
    if post.get("msg_type") == POST and "content" in post:
        post = _as_object(post["content"], "a post")
    if isinstance(post.get("post"), dict):
        post = post["post"]
    return post


def _post_blocks(post: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(post.get("content"), list):
        return [post]
    blocks = [block for block in post.values() if isinstance(block, dict)]
    if not blocks or len(blocks) != len(post):
        raise BadRequest(
            'content: a post is {"zh_cn": {"title": ..., "content": [[{"tag": ...}]]}}'
            " (one block per language)"
        )
    return blocks


def _block_text(block: dict[str, Any], image_keys: list[str]) -> list[str]:
    """The block's lines of text; its images' keys go to `image_keys`."""
    title, rows = block.get("title"), block.get("content")
    if title is not None and not isinstance(title, str):
        raise BadRequest("content: a post's title must be a string")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest("content: a post's content must be a list of lines (lists)")
    lines = [title] if title else []
    for row in rows:
        parts = []
        for element in row:
            if not isinstance(element, dict) or not isinstance(element.get("tag"), str):
                raise BadRequest('content: every element of a post needs a "tag"')
            if element["tag"] == "img" and isinstance(element.get("image_key"), str):
                image_keys.append(element["image_key"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
        lines.append("".join(parts))
    return lines


def parse_post(raw: str | dict[str, Any]) -> Parsed:
    post = _unwrap_post(_as_object(raw, "a post"))
    image_keys: list[str] = []
    lines: list[str] = []
    for block in _post_blocks(post):
        lines.extend(_block_text(block, image_keys))
    text = "\n".join(lines)
    if not text.strip() and not image_keys:
        raise BadRequest("content: the post has neither text nor images")
    if "\x00" in text:
        raise BadRequest("content: the post must not contain the NUL character")
    encoded = _encode(post).decode("utf-8")
    if len(encoded) > MAX_CONTENT_BYTES:
        raise BadRequest(f"content: the post is larger than {MAX_CONTENT_BYTES} bytes")
    keys = list(dict.fromkeys(image_keys)) or None
    return Parsed(text, MessageContent(content=encoded, msg_type=POST, image_keys=keys))


def parse_card(raw: str | dict[str, Any]) -> Parsed:
    card = _as_object(raw, "a card (interactive)")
    header = card.get("header")
    title = header.get("title") if isinstance(header, dict) else None
    text = title.get("content") if isinstance(title, dict) else None
    encoded = _encode(card).decode("utf-8")
    if "\x00" in encoded:
        raise BadRequest("content: the card must not contain the NUL character")
    return Parsed(text if isinstance(text, str) else "", MessageContent(encoded, INTERACTIVE))


def image_content(image_key: str) -> Parsed:
    return Parsed("", MessageContent(content=image_key, msg_type=IMAGE, image_key=image_key))


def image_key_of(raw: str | dict[str, Any]) -> str:
    """The image key of an im-style image content, `{"image_key": "img_..."}`."""
    key = _as_object(raw, "an image").get("image_key")
    if not isinstance(key, str) or not key.strip():
        raise BadRequest('content: an image message is {"image_key": "..."}')
    return key
