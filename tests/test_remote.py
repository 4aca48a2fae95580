"""Where export and sync find the remote's address and secrets; how times are read."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from larkdesk.cli.remote import parse_duration, parse_time
from larkdesk.transfer.remote import RemoteConfigError, resolve_remote

from .seeded import BUSY_DAY, DAY


def test_flags_beat_the_config_file_and_feishu_is_the_default(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('app_id = "cli_file"\napp_secret = "s-file"\nhelpdesk_token = "t"\n')
    config.chmod(0o600)
    warnings: list[str] = []
    remote = resolve_remote({"app_id": "cli_flag", "helpdesk_id": "1"}, config, warnings)
    assert (remote.app_id, remote.app_secret, remote.helpdesk_token) == ("cli_flag", "s-file", "t")
    assert remote.base_url == "https://open.feishu.cn" and warnings == []
    assert "s-file" not in repr(remote) and "cli_flag" in repr(remote)


def test_problems_are_named_without_secrets(tmp_path: Path) -> None:
    with pytest.raises(RemoteConfigError, match=r"--app-secret \(or \$LARKDESK_APP_SECRET"):
        resolve_remote({"app_id": "a", "helpdesk_id": "1", "helpdesk_token": "t"}, None)
    config = tmp_path / "c.toml"
    config.write_text('app_secret = "s3cret"\nhelpdesk_tokn = "t"\n')
    with pytest.raises(RemoteConfigError, match="unknown keys helpdesk_tokn") as caught:
        resolve_remote({}, config)
    assert "s3cret" not in str(caught.value)
    config.write_text('app_secret = "s3cret\n')
    with pytest.raises(RemoteConfigError, match="not valid TOML") as caught:
        resolve_remote({}, config)
    config.write_text('app_id = "a"\napp_secret = "s"\nhelpdesk_id = "1"\nhelpdesk_token = "t"\n')
    config.chmod(0o644)
    warnings: list[str] = []
    resolve_remote({}, config, warnings)
    assert warnings and "chmod 600" in warnings[0]


def test_times_and_durations() -> None:
    assert parse_time("2026-01-01") == BUSY_DAY
    assert parse_time("2026-01-01", end_of_day=True) == BUSY_DAY + DAY - 1
    assert parse_time("2026-01-01T08:00:00+08:00") == BUSY_DAY == parse_time(str(BUSY_DAY))
    assert parse_time("2026-01-01T00:00:00.250Z") == BUSY_DAY + 250
    with pytest.raises(click.BadParameter, match="neither milliseconds nor an ISO date"):
        parse_time("yesterday")
    assert [parse_duration(v) for v in ("90", "90s", "5m", "2h", "1d")] == [
        90,
        90,
        300,
        7200,
        86400,
    ]
    with pytest.raises(click.BadParameter):
        parse_duration("0m")
