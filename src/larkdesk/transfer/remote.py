"""Where a remote helpdesk is and how to sign in to it, for `export` and `sync`.

Each setting comes from its flag, else its environment variable, else the TOML config
file (`--config FILE` or `$LARKDESK_CONFIG`), else its default. Secrets are kept out of
`repr` and out of every message.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..client import FEISHU
from ..settings import REMOTE_VARIABLES


class RemoteConfigError(Exception):
    """A setting is missing or the config file cannot be used; the message says which."""


@dataclass(frozen=True, slots=True)
class Remote:
    base_url: str
    app_id: str
    helpdesk_id: str
    app_secret: str = field(repr=False)
    helpdesk_token: str = field(repr=False)


def resolve_remote(
    flags: Mapping[str, str | None], config: Path | None, warn: list[str] | None = None
) -> Remote:
    """Settings from `flags` (already merged with the environment by click), then the
    config file; `warn` collects advice (e.g. a config file others can read)."""
    from_file = _read_config(config, warn) if config is not None else {}
    values: dict[str, str] = {}
    missing = []
    for name, env in REMOTE_VARIABLES.items():
        value = flags.get(name) or from_file.get(name)
        if not value and name == "base_url":
            value = FEISHU
        if not value:
            missing.append(f"--{name.replace('_', '-')} (or ${env}, or {name} in the config file)")
            continue
        values[name] = value
    if missing:
        raise RemoteConfigError("missing " + "; ".join(missing))
    return Remote(**values)


def _read_config(path: Path, warn: list[str] | None) -> dict[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RemoteConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RemoteConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(REMOTE_VARIABLES))
    if unknown:
        raise RemoteConfigError(f"config file {path}: unknown keys {', '.join(unknown)}")
    wrong = sorted(k for k, v in data.items() if not isinstance(v, str))
    if wrong:
        raise RemoteConfigError(f"config file {path}: {', '.join(wrong)} must be strings")
    if warn is not None and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn.append(f"config file {path} can be read by other users: chmod 600 it")
    return dict(data)
