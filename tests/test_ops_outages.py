"""/readyz says what failed while PostgreSQL or Redis is down, and recovers when they come
back: each test stops and restarts a server of its own."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import Store
from larkdesk.store.postgres import PostgresStore

from .backends import POSTGRES_ENV, db_location, service_url
from .conftest import free_port
from .test_redis_restart import OwnRedis, own_redis

__all__ = ["own_redis"]  # the fixture, shared with test_redis_restart


def missing(reason: str) -> NoReturn:
    """Skip locally; under CI=true, fail (scripts/services installs what this needs)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true it must run, not skip", pytrace=False)
    pytest.skip(reason)


def ready(client: TestClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, response.json()


def wait_ready(client: TestClient, seconds: float) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + seconds
    status, body = ready(client)
    while status != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        status, body = ready(client)
    return status, body


def test_readyz_fails_while_redis_is_down_and_recovers(store: Store, own_redis: OwnRedis) -> None:
    settings = Settings(db=db_location(store), rate_limit="feishu", redis=own_redis.url)
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        status, body = ready(client)
        assert status == 200 and body["checks"]["redis"] == {"ok": True}
        own_redis.stop()
        status, body = ready(client)
        assert status == 503
        assert body["failed"] == ["redis"]
        assert body["checks"]["redis"]["ok"] is False
        assert "Connection" in body["checks"]["redis"]["error"]
        assert body["checks"]["store"]["ok"] is True  # only what failed is named
        own_redis.start()
        status, body = wait_ready(client, 10)
        assert status == 200, body


class OwnPostgres:
    """A PostgreSQL cluster of this test's own, which it can stop and start again."""

    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not found:
            missing("needs PostgreSQL's server binaries to stop and restart one")
        self.bin = Path(found[-1])
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            os.chown(folder, *_postgres_ids())
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self.as_owner, str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd="/")

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def _postgres_ids() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        missing("running as root, and there is no postgres user to run PostgreSQL as")
    return entry.pw_uid, entry.pw_gid


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    service_url(POSTGRES_ENV, "PostgreSQL")  # skips (or fails under CI) like the others
    # Not under tmp_path: the postgres user (when the tests run as root) must reach it.
    folder = Path(tempfile.mkdtemp(prefix="larkdesk-own-pg-"))
    folder.chmod(0o755)
    try:
        server = OwnPostgres(folder)
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop()  # unless already stopped
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_readyz_fails_while_postgres_is_down_and_recovers(own_postgres: OwnPostgres) -> None:
    store = PostgresStore(own_postgres.url, pool_size=2)
    settings = Settings(db=own_postgres.url, rate_limit="off")
    try:
        with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
            status, body = ready(client)
            assert status == 200 and body["checks"]["store"]["ok"] is True
            own_postgres.stop()
            started = time.monotonic()
            status, body = ready(client)
            assert time.monotonic() - started < 5  # bounded, even with the pool waiting
            assert status == 503
            assert body["failed"] == ["store"]
            assert body["checks"]["store"]["ok"] is False
            assert body["checks"]["store"]["error"]
            own_postgres.start()
            status, body = wait_ready(client, 60)
            assert status == 200, body
            assert body["checks"]["store"]["schema_version"] >= 8
    finally:
        store.close()
