"""The URL challenge (`url_verification`): before an app's request URL is saved, it must
answer `{"challenge": ...}` with HTTP 200 within 1 s — in plain JSON even when the
request was encrypted with the app's key (EVENTS.md §3.4)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import msgspec

from .envelope import sealed, signed

CHALLENGE_TIMEOUT_S = 1.0
SHOWN_CHARS = 200
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class ChallengeResult:
    ok: bool
    reason: str  # why it failed, in words a person can act on; "" when it passed
    latency_ms: int = 0


def _failed(reason: str, started: float) -> ChallengeResult:
    return ChallengeResult(False, reason, round((time.perf_counter() - started) * 1000))


def check_url(url: str) -> str | None:
    """Why `url` cannot be a request URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL"
    return None


def run_challenge(
    url: str,
    token: str,
    encrypt_key: str,
    timeout_s: float = CHALLENGE_TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
) -> ChallengeResult:
    """POST a url_verification to `url` and check the answer."""
    started = time.perf_counter()
    if (bad := check_url(url)) is not None:
        return _failed(bad, started)
    challenge = secrets.token_urlsafe(12)
    plain = _encode({"challenge": challenge, "token": token, "type": "url_verification"})
    request = signed(sealed(plain, encrypt_key), encrypt_key)
    try:
        with httpx.Client(trust_env=False, transport=transport, timeout=timeout_s) as client:
            response = client.post(url, content=request.body, headers=request.headers)
    except httpx.TimeoutException:
        return _failed(f"no answer within {timeout_s:g} s (Feishu waits 1 s)", started)
    except httpx.HTTPError as exc:
        return _failed(f"could not reach {url}: {type(exc).__name__}: {exc}", started)
    latency_ms = round((time.perf_counter() - started) * 1000)
    if latency_ms > timeout_s * 1000:
        return _failed(f"answered after {latency_ms} ms; it must answer within 1 s", started)
    return _judge(response, challenge, latency_ms)


def _judge(response: httpx.Response, challenge: str, latency_ms: int) -> ChallengeResult:
    text = response.text[:SHOWN_CHARS]
    if response.status_code != 200:
        reason = f"answered HTTP {response.status_code}, not 200: {text!r}"
        return ChallengeResult(False, reason, latency_ms)
    try:
        answer = json.loads(response.content)
    except ValueError:
        return ChallengeResult(False, f"the answer is not JSON: {text!r}", latency_ms)
    if not isinstance(answer, dict) or answer.get("challenge") != challenge:
        hint = ""
        if isinstance(answer, dict) and "encrypt" in answer:
            hint = " (answer in plain JSON, not encrypted)"
        reason = f"the answer does not echo the challenge {challenge!r}{hint}: {text!r}"
        return ChallengeResult(False, reason, latency_ms)
    return ChallengeResult(True, "", latency_ms)
