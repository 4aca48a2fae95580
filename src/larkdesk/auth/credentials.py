"""Identifiers and secrets in Feishu's formats, and how secrets are kept (hashed only)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string

_ALPHANUMERIC = string.ascii_letters + string.digits


def new_app_id() -> str:
    return "cli_" + secrets.token_hex(8)


def new_app_secret() -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(32))


def new_tenant_key() -> str:
    return secrets.token_hex(8)


def new_helpdesk_id() -> str:
    return str(secrets.randbelow(9 * 10**18) + 10**18)  # 19 digits


def new_helpdesk_token() -> str:
    return "ht-" + secrets.token_hex(16)


def new_token_salt() -> str:
    return secrets.token_hex(16)


def derive_access_token(app_secret: str, salt: str) -> str:
    """The access token for `salt`: only whoever holds the app secret can compute it, so the
    store keeps the salt and the token's hash, never the token ("t-" + 40 hex)."""
    mac = hmac.new(app_secret.encode("utf-8"), salt.encode("ascii"), hashlib.sha256)
    return "t-" + mac.hexdigest()[:40]


def hash_secret(secret: str) -> str:
    """Hash a high-entropy secret for storage; the plain value is never kept or logged."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def encode_helpdesk_header(helpdesk_id: str, helpdesk_token: str) -> str:
    """The `X-Lark-Helpdesk-Authorization` value: base64(helpdesk_id:helpdesk_token)."""
    return base64.b64encode(f"{helpdesk_id}:{helpdesk_token}".encode()).decode("ascii")


def decode_helpdesk_header(value: str) -> tuple[str, str] | None:
    """(helpdesk_id, helpdesk_token) from the header, with or without `Bearer `; None if garbled."""
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    helpdesk_id, sep, token = text.partition(":")
    if not sep or not helpdesk_id or not token:
        return None
    return helpdesk_id, token
