"""What Feishu does to a delivery: AES-256-CBC with the app's encrypt key, and the
`X-Lark-Signature` over timestamp, nonce, key and body (EVENTS.md §3.2, §3.3)."""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

BLOCK_BITS = 128


def _aes_key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    """base64(IV ‖ AES-256-CBC(sha256(key), IV, PKCS#7(plaintext))); a random IV unless
    one is given (the test vectors give one)."""
    iv = iv if iv is not None else os.urandom(16)
    padder = PKCS7(BLOCK_BITS).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """The inverse of `encrypt` (raises ValueError on a wrong key or bad data)."""
    raw = base64.b64decode(encrypted)
    if len(raw) < 32 or len(raw) % 16:
        raise ValueError("not an encrypted body: wrong length")
    decryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(raw[:16])).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = PKCS7(BLOCK_BITS).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """`X-Lark-Signature`: hex sha256(timestamp + nonce + key + body); the key is "" for
    an app without one (older lark-oapi verifies it even then)."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()
