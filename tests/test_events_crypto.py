"""Encryption and signature against EVENTS.md's test vectors (checked there against the SDKs)."""

from __future__ import annotations

import pytest

from larkdesk.events.crypto import decrypt, encrypt, signature

KEY = "test key"
IV = bytes(range(16))
CHALLENGE = b'{"challenge":"ajls384kdjx98XX","token":"xxxxxx","type":"url_verification"}'
ENCRYPTED = (
    "AAECAwQFBgcICQoLDA0ODw9mLTIAZS9jAmGTQ1wAhHpnBHVL2wRjH9rPunQdQC1vLjsckayA10kZ8cPwtb62"
    "F8rC7JprUPR/4S2aZihfR+p8npX7UzWPithZmfKIPZgE"
)


def test_encryption_matches_the_vector_and_round_trips() -> None:
    assert encrypt(KEY, CHALLENGE, IV) == ENCRYPTED
    assert decrypt(KEY, ENCRYPTED) == CHALLENGE
    fresh = encrypt(KEY, CHALLENGE)
    assert fresh != ENCRYPTED and decrypt(KEY, fresh) == CHALLENGE  # a random IV each time


def test_a_wrong_key_or_bad_data_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        decrypt("other key", ENCRYPTED)
    with pytest.raises(ValueError):
        decrypt(KEY, "AAEC")


def test_signature_matches_the_vector() -> None:
    body = ('{"encrypt":"' + ENCRYPTED + '"}').encode()
    assert signature("1752346850", "950646929", KEY, body) == (
        "6e2c1b9d3fe8c478ee2d932d6324374605f9fe8c1e3f8e9a805e72ae10db54f2"
    )
