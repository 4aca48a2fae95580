"""The schema 2.0 envelope around an event body, and a delivery as the HTTP request
Feishu sends: compact JSON (the Node SDK re-serializes the body before checking the
signature), encrypted when the app has a key, always signed (EVENTS.md §1.2, §3)."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass

import msgspec

from ..store.event_records import Delivery
from .crypto import encrypt, signature

_encode = msgspec.json.Encoder().encode
CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = "larkdesk-events/1"


class EventHeader(msgspec.Struct):
    event_id: str
    event_type: str
    create_time: str  # a string of epoch ms: a JSON number breaks the Go SDK
    token: str  # the app's verification token
    app_id: str
    tenant_key: str


@dataclass(frozen=True, slots=True)
class SignedRequest:
    headers: dict[str, str]
    body: bytes


def envelope(delivery: Delivery) -> bytes:
    """`{"schema":"2.0","header":{...},"event":{...}}`, the stored body spliced in as is."""
    header = EventHeader(
        delivery.event_id,
        delivery.event_type,
        str(delivery.created_at),
        delivery.verification_token,
        delivery.app_id,
        delivery.tenant_key,
    )
    return b'{"schema":"2.0","header":' + _encode(header) + b',"event":' + delivery.body + b"}"


def sealed(plaintext: bytes, encrypt_key: str) -> bytes:
    """The body on the wire: the plaintext, or `{"encrypt":"..."}` when there is a key."""
    if not encrypt_key:
        return plaintext
    return _encode({"encrypt": encrypt(encrypt_key, plaintext)})


def signed(body: bytes, encrypt_key: str, now_s: int | None = None) -> SignedRequest:
    """The headers of one attempt: a fresh timestamp and nonce, signed with the key (or
    "" where there is none), as Feishu signs every delivery."""
    timestamp = str(int(time.time()) if now_s is None else now_s)
    nonce = str(secrets.randbelow(10**9))
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature(timestamp, nonce, encrypt_key, body),
        "X-Request-Id": str(uuid.uuid4()),
    }
    return SignedRequest(headers, body)


def delivery_request(delivery: Delivery) -> SignedRequest:
    """One attempt at a delivery: re-encrypted (a new IV) and re-signed every time; the
    plaintext, and so the event_id, stay the same."""
    return signed(sealed(envelope(delivery), delivery.encrypt_key), delivery.encrypt_key)
