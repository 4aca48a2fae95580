"""An app's event settings, as `larkdesk app events` changes them: the verification token
(made once per app), the encrypt key, the delivery mode, the enabled event types, and a
request URL that is saved only after it passed the challenge."""

from __future__ import annotations

import dataclasses
import secrets
import string
import time
from collections.abc import Callable, Sequence

from ..store.base import Store
from ..store.event_records import MODES, WEBHOOK, EventSettings
from .challenge import ChallengeResult, run_challenge
from .types import EVENT_TYPES

TOKEN_ALPHABET = string.ascii_letters + string.digits
Challenge = Callable[[str, str, str], ChallengeResult]


class EventSettingsError(Exception):
    """Settings that cannot be saved; the message says why."""


def new_verification_token() -> str:
    """32 letters and digits, like the tokens Feishu's console shows."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(32))


@dataclasses.dataclass(frozen=True, slots=True)
class EventChange:
    """What to change; None leaves a setting as it is."""

    url: str | None = None
    encrypt_key: str | None = None
    mode: str | None = None
    event_types: Sequence[str] | None = None
    verification_token: str | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in dataclasses.astuple(self))


def configure_events(
    store: Store, app_id: str, change: EventChange, challenge: Challenge = run_challenge
) -> EventSettings:
    """Apply `change` to the app's settings (made on first use, every helpdesk event type
    enabled) and save them; a webhook URL must pass the challenge first. The token is saved
    even when the challenge fails, so a receiver can be set up with it and tried again."""
    if store.get_app(app_id) is None:
        raise EventSettingsError(f"there is no app {app_id!r}")
    current = store.get_event_settings(app_id)
    if current is None:
        current = EventSettings(app_id, "", new_verification_token(), "", WEBHOOK, 0, EVENT_TYPES)
        store.save_event_settings(current)
    wanted = _applied(current, change)
    if change.empty:
        return current
    if _needs_challenge(current, wanted):
        result = challenge(wanted.url, wanted.verification_token, wanted.encrypt_key)
        if not result.ok:
            if wanted.verification_token != current.verification_token:
                store.save_event_settings(
                    dataclasses.replace(current, verification_token=wanted.verification_token)
                )
            raise EventSettingsError(f"the URL failed the challenge: {result.reason}")
        wanted = dataclasses.replace(wanted, verified_at=time.time_ns() // 1_000_000)
    store.save_event_settings(wanted)
    return wanted


def _needs_challenge(current: EventSettings, wanted: EventSettings) -> bool:
    """A webhook URL is tried when it, or what the receiver checks, changes."""
    if wanted.mode != WEBHOOK or not wanted.url:
        return False
    seen = (current.url, current.encrypt_key, current.verification_token, current.mode)
    now = (wanted.url, wanted.encrypt_key, wanted.verification_token, wanted.mode)
    return seen != now or not current.verified_at


def _applied(current: EventSettings, change: EventChange) -> EventSettings:
    if change.mode is not None and change.mode not in MODES:
        raise EventSettingsError(f"mode must be one of {list(MODES)}, got {change.mode!r}")
    unknown = sorted(set(change.event_types or ()) - set(EVENT_TYPES))
    if unknown:
        raise EventSettingsError(f"unknown event types {unknown}; known: {list(EVENT_TYPES)}")
    if change.verification_token is not None and not change.verification_token:
        raise EventSettingsError("the verification token cannot be empty")
    updates = {k: v for k, v in dataclasses.asdict(change).items() if v is not None}
    if "event_types" in updates:
        updates["event_types"] = tuple(sorted(set(updates["event_types"])))
    if "url" in updates and updates["url"] != current.url:
        updates["verified_at"] = 0
    return dataclasses.replace(current, **updates)
