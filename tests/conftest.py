"""Shared fixtures: a real SQLite file, provisioned identities, in-process and live servers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from larkdesk.auth import provision as accounts
from larkdesk.auth.credentials import encode_helpdesk_header
from larkdesk.server.app import create_app
from larkdesk.settings import Settings
from larkdesk.store.base import Store

from .backends import BACKEND_NAMES, db_location, open_backend

ROOT = Path(__file__).resolve().parents[1]
_TREE_AT_START = pytest.StashKey[str | None]()
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
LIST_PATH = "/open-apis/helpdesk/v1/tickets"
START_TIMEOUT_S = 60  # a server starts in about a second; a loaded machine can take far longer


def _git_status() -> str | None:
    """`git status --porcelain` of the checkout holding the tests; None outside git."""
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live",
        action="store_true",
        help="run the wire suite against `larkdesk serve` subprocesses, not in-process "
        "(as LARKDESK_TEST_LIVE=1; see tests/wire.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--live"):
        os.environ["LARKDESK_TEST_LIVE"] = "1"  # tests/wire.py reads it, and so do subprocesses


def pytest_sessionstart(session: pytest.Session) -> None:
    """Remember the working tree, so the run can prove it left it as it found it."""
    session.config.stash[_TREE_AT_START] = _git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if it changed the working tree; close lark-oapi's event loop."""
    _check_tree_unchanged(session)
    _close_lark_oapi_loop()


def _check_tree_unchanged(session: pytest.Session) -> None:
    before = session.config.stash.get(_TREE_AT_START, None)
    after = _git_status() if before is not None else None
    if after is not None and after != before:
        time.sleep(1)  # a git command of someone else's may have been mid-way: look again
        after = _git_status()
    if before is None or after is None or before == after:
        return
    old, new = set(before.splitlines()), set(after.splitlines())
    lines = [f"+ {line}" for line in sorted(new - old)] + [
        f"- {line}" for line in sorted(old - new)
    ]
    sys.stderr.write("\nThe test run changed the working tree (git status):\n")
    sys.stderr.write("\n".join(lines) + "\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _close_lark_oapi_loop() -> None:
    """Close the event loop lark-oapi creates when it is imported (`lark_oapi/ws/client.py`
    and its token cache) and never closes, which otherwise ends every run with
    "ResourceWarning: unclosed event loop" at interpreter exit."""
    ws_client = sys.modules.get("lark_oapi.ws.client")
    loop = getattr(ws_client, "loop", None)
    if loop is not None and not loop.is_running() and not loop.is_closed():
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.close()


@pytest.fixture(scope="session", autouse=True)
def _session_in_a_temporary_directory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Session and module fixtures (and what they start) run in a temporary directory, so
    nothing they write by a relative path lands in the checkout."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("cwd"))
        yield


@pytest.fixture(autouse=True)
def _test_in_its_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own temporary directory."""
    monkeypatch.chdir(tmp_path)


@dataclass(frozen=True)
class Identity:
    """An app and a helpdesk of one tenant, with their plain secrets."""

    app_id: str
    app_secret: str
    tenant_key: str
    helpdesk_id: str
    helpdesk_token: str

    @property
    def helpdesk_header(self) -> str:
        return encode_helpdesk_header(self.helpdesk_id, self.helpdesk_token)


def provision(
    store: Store,
    name: str = "test",
    scopes: tuple[str, ...] = ("helpdesk:all",),
    tenant_key: str | None = None,
) -> Identity:
    app = accounts.create_app(store, name, tenant_key=tenant_key, scopes=scopes)
    desk = accounts.create_helpdesk(store, app.app_id, f"{name} desk")
    return Identity(
        app.app_id, app.app_secret, app.tenant_key, desk.helpdesk_id, desk.helpdesk_token
    )


def fetch_token(client: httpx.Client | TestClient, identity: Identity) -> str:
    response = client.post(
        TOKEN_PATH, json={"app_id": identity.app_id, "app_secret": identity.app_secret}
    )
    body = response.json()
    assert body["code"] == 0, body
    return str(body["tenant_access_token"])


def auth_headers(client: httpx.Client | TestClient, identity: Identity) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {fetch_token(client, identity)}",
        "X-Lark-Helpdesk-Authorization": identity.helpdesk_header,
    }


@pytest.fixture(params=BACKEND_NAMES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store on each backend: a SQLite file, a PostgreSQL schema."""
    with open_backend(request.param, tmp_path) as store:
        yield store


@pytest.fixture
def identity(store: Store) -> Identity:
    return provision(store)


def make_client(store: Store, rate_limit: str = "off") -> TestClient:
    settings = Settings(
        db=db_location(store), rate_limit="off" if rate_limit == "off" else "feishu"
    )
    return TestClient(create_app(settings, store), raise_server_exceptions=False)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The app in-process, rate limit off (tests of the limiter ask for it explicitly)."""
    with make_client(store) as test_client:
        yield test_client


# -- a real `larkdesk serve` on loopback ----------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def larkdesk(
    *args: str, db: str | Path, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real `larkdesk` command line on `db` (a SQLite path or a database URL), in
    the current (temporary) directory."""
    return subprocess.run(
        [sys.executable, "-m", "larkdesk", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        cwd=Path.cwd(),
    )


@dataclass
class LiveServer:
    base_url: str
    db: str
    process: subprocess.Popen[str]
    log: Path | None = None


def start_server(db: str | Path, *extra: str, log_dir: Path | None = None) -> LiveServer:
    """`larkdesk serve` on `db` (a SQLite path or a database URL) on a free port, in
    `log_dir` (default: the current, temporary, directory), where its output goes too."""
    port = free_port()
    where = log_dir or Path.cwd()
    log_path = where / f"serve-{port}.log"  # a file: a full pipe would block
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "larkdesk",
                "serve",
                "--db",
                str(db),
                "--port",
                str(port),
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=where,
        )
    base_url = f"http://127.0.0.1:{port}"
    # The supervisor binds the socket before its workers start: the first to be ready
    # answers, so wait until all of them are, or a test spread over workers sees one.
    workers = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"larkdesk serve exited: {log_path.read_text()}")
        try:
            httpx.get(base_url + "/", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if _workers_started(log_path) >= workers:
            return LiveServer(base_url, str(db), process, log_path)
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"larkdesk serve did not start within {START_TIMEOUT_S} s")


def _workers_started(log_path: Path) -> int:
    """How many worker processes have logged that their start-up is complete."""
    return log_path.read_text().count("Application startup complete")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)
    if server.process.stdout is not None:
        server.process.stdout.close()
