"""scripts/services, as `scripts/test` runs it: a server URL kept from the environment is
used only if something answers there; a stale one (an env file from a stopped run) is
said and replaced by a throwaway server, instead of failing half the suite."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from .backends import POSTGRES_ENV, REDIS_ENV, service_url
from .conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "services"


def _exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        found[name] = value
    return found


def test_a_stale_url_is_replaced_and_a_live_one_kept() -> None:
    live_postgres = service_url(POSTGRES_ENV, "PostgreSQL")  # the suite's own: answers, so kept
    if shutil.which("redis-server") is None:
        from .test_ops_outages import missing

        missing("redis-server is not installed")
    dead = free_port()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", dead)) != 0  # nothing listens there
    env = {
        **os.environ,
        POSTGRES_ENV: live_postgres,
        REDIS_ENV: f"redis://127.0.0.1:{dead}/0",
    }
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    exports = _exports(started.stdout)
    try:
        assert "does not answer" in started.stderr and f":{dead}/0" in started.stderr
        assert POSTGRES_ENV not in exports  # kept as it was: nothing started for it
        fresh = exports[REDIS_ENV]
        assert fresh != env[REDIS_ENV]
        assert redis.Redis.from_url(fresh).ping()
    finally:
        subprocess.run(
            [str(SCRIPT), "stop"],
            env={**os.environ, "LARKDESK_SERVICES_DIR": exports["LARKDESK_SERVICES_DIR"]},
            check=True,
            timeout=60,
        )
    assert not Path(exports["LARKDESK_SERVICES_DIR"]).exists()
    deadline = time.monotonic() + 10  # `stop` signals the server; it exits shortly after
    while _answers(fresh) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _answers(fresh)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.ConnectionError:
        return False
