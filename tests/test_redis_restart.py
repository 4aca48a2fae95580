"""Redis restarting between requests costs no request a 500: the rate limiter and the
shared tokens reconnect and retry once."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import Store

from .backends import db_location, redis_url
from .conftest import LIST_PATH, TOKEN_PATH, auth_headers, free_port, provision


class OwnRedis:
    """A redis-server of this test's own, on a fixed port, that it can restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis_url()  # skips (or fails under CI) like every Redis test when there is none
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server on PATH to restart a Redis of its own")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_requests_after_a_redis_restart_are_answered(store: Store, own_redis: OwnRedis) -> None:
    identity = provision(store)  # type: ignore[arg-type]
    settings = Settings(db=db_location(store), rate_limit="feishu", redis=own_redis.url)
    statuses: list[int] = []
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        headers = auth_headers(client, identity)
        for _ in range(3):
            for _ in range(5):
                statuses.append(client.get(LIST_PATH, headers=headers).status_code)
            own_redis.restart()  # every pooled connection is now dead
        for _ in range(5):
            statuses.append(client.get(LIST_PATH, headers=headers).status_code)
        body = {"app_id": identity.app_id, "app_secret": identity.app_secret}
        token = client.post(TOKEN_PATH, json=body).json()
    assert statuses == [200] * 20
    assert token["code"] == 0
