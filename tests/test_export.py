"""larkdesk export: every ticket once, in NDJSON, CSV and Parquet, resumable after a kill."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from larkdesk.helpdesk.models import to_record
from larkdesk.store.base import Store
from larkdesk.transfer.export.checkpoint import checkpoint_path, load_checkpoint
from larkdesk.transfer.export.columns import COLUMNS
from larkdesk.transfer.export.runner import (
    ExportFailed,
    ExportJob,
    Progress,
    export_from_api,
    export_from_store,
)

from .backends import db_location
from .seeded import BUSY_DAY, DAY, Seeded, Writer, seed_tickets, seeded_server


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with seeded_server(tmp_path_factory.mktemp("export")) as found:
        yield found


def ndjson_ids(path: Path) -> Counter[str]:
    return Counter(json.loads(line)["ticket_id"] for line in path.read_text("utf-8").splitlines())


def credentials_env(seeded: Seeded) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "LARKDESK_BASE_URL": seeded.server.base_url,
        "LARKDESK_APP_ID": seeded.identity.app_id,
        "LARKDESK_APP_SECRET": seeded.identity.app_secret,
        "LARKDESK_HELPDESK_ID": seeded.identity.helpdesk_id,
        "LARKDESK_HELPDESK_TOKEN": seeded.identity.helpdesk_token,
    }


def export_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "larkdesk", "export", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_ndjson_has_every_ticket_once_while_a_writer_updates(
    seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "all.ndjson"
    job = ExportJob(out, seeded.server.base_url, seeded.identity.helpdesk_id)
    seen = {"total": 0, "done": 0}
    progress = Progress(
        total=lambda n: seen.__setitem__("total", n),
        advance=lambda n: seen.__setitem__("done", seen["done"] + n),
    )
    writer = Writer(seeded.store, seeded.identity.helpdesk_id, seeded.tickets)
    writer.start()
    try:
        with seeded.client() as client:
            result = export_from_api(client, job, progress)
    finally:
        writer.stop()
    counts = ndjson_ids(out)
    assert set(counts) == seeded.ids and set(counts.values()) == {1}
    assert result.rows == seen["done"] == seen["total"] == len(seeded.ids)
    assert writer.writes > 0 and not checkpoint_path(out).exists()


def test_csv_with_bom_and_parquet_read_back(seeded: Seeded, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    env = credentials_env(seeded)
    config = tmp_path / "larkdesk.toml"  # the secret from a config file instead
    config.write_text(f'app_secret = "{env.pop("LARKDESK_APP_SECRET")}"\n')
    config.chmod(0o600)
    csv_out, parquet_out = tmp_path / "all.csv", tmp_path / "all.parquet"
    runs = [
        export_cli(
            "--out", str(csv_out), "--bom", "--config", str(config), "--max-rps", "0", env=env
        ),
        export_cli(
            "--out",
            str(parquet_out),
            "--config",
            str(config),
            "--status",
            "50",
            "--max-rps",
            "0",
            env=env,
        ),
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
        assert seeded.identity.app_secret not in stdout + stderr
        assert seeded.identity.helpdesk_token not in stdout + stderr
    assert csv_out.read_bytes().startswith("\ufeff".encode())
    with csv_out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == [c.name for c in COLUMNS]
    assert Counter(r["ticket_id"] for r in rows) == Counter(seeded.ids)
    now = seeded.current()
    first = now[rows[0]["ticket_id"]]
    assert rows[0]["guest_name"] == first["guest"]["name"]  # type: ignore[index]
    assert rows[0]["updated_at"] == str(first["updated_at"])
    table = pq.read_table(parquet_out)
    closed = {tid for tid, t in now.items() if t["status"] == 50}
    assert table.num_rows == len(closed) and set(table.column("ticket_id").to_pylist()) == closed
    assert str(table.schema.field("created_at").type) == "int64"
    assert set(table.column("status").to_pylist()) == {50}
    assert not list(tmp_path.glob("*.spool.ndjson")) and not list(tmp_path.glob("*checkpoint*"))


def wait_for(predicate: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def mid_window(out: Path) -> bool:
    """A window is done (checkpointed) and the next one is being written."""
    checkpoint = load_checkpoint(out) if checkpoint_path(out).exists() else None
    return (
        checkpoint is not None
        and checkpoint.rows > 0
        and out.exists()
        and out.stat().st_size > checkpoint.bytes
    )


@pytest.mark.parametrize(("fmt", "stop"), [("ndjson", signal.SIGKILL), ("parquet", signal.SIGINT)])
def test_resume_after_a_kill_or_ctrl_c_gives_every_ticket_once(
    seeded: Seeded, tmp_path: Path, fmt: str, stop: signal.Signals
) -> None:
    out = tmp_path / f"resumed.{fmt}"
    written = out if fmt == "ndjson" else out.with_name(out.name + ".spool.ndjson")
    env = credentials_env(seeded)
    # 20/s: about 4 s for the whole export, so the kill lands in the middle
    run = export_cli("--out", str(out), "--max-rps", "20", env=env)
    try:
        wait_for(lambda: mid_window(written) if fmt == "ndjson" else _spool_mid(out))
    finally:
        run.send_signal(stop)
        _, stderr = run.communicate(timeout=30)
    checkpoint = load_checkpoint(out)
    assert checkpoint is not None and 0 < checkpoint.rows < len(seeded.ids)
    if stop == signal.SIGINT:
        assert run.returncode == 130 and "run the same command again" in stderr
    resumed = export_cli("--out", str(out), "--max-rps", "0", env=env)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert json.loads(stdout)["resumed"] is True
    if fmt == "ndjson":
        counts = ndjson_ids(out)
    else:
        import pyarrow.parquet as pq

        counts = Counter(pq.read_table(out).column("ticket_id").to_pylist())
    assert set(counts) == seeded.ids and set(counts.values()) == {1}


def _spool_mid(out: Path) -> bool:
    spool = out.with_name(out.name + ".spool.ndjson")
    checkpoint = load_checkpoint(out) if checkpoint_path(out).exists() else None
    return checkpoint is not None and checkpoint.rows > 0 and spool.stat().st_size > 0


def test_another_export_on_the_same_file_is_refused_until_restart(
    seeded: Seeded, tmp_path: Path
) -> None:
    out = tmp_path / "x.ndjson"
    hd = seeded.identity.helpdesk_id
    job = ExportJob(out, seeded.server.base_url, hd, filters={"status_list": [50]})
    calls = {"n": 0}

    def interrupt(n: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt

    with seeded.client() as client:
        with pytest.raises(KeyboardInterrupt):
            export_from_api(client, job, Progress(advance=interrupt))
        other = ExportJob(out, seeded.server.base_url, hd, filters={"status_list": [51]})
        with pytest.raises(ExportFailed, match=r"different export.*--restart"):
            export_from_api(client, other)
        expected = [t for t in seeded.current().values() if t["status"] == 51]
        assert export_from_api(client, other, restart=True).rows == len(expected)


def test_export_from_a_local_store_has_no_cap_and_resumes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from larkdesk.transfer.export import runner

    from .conftest import provision

    identity = provision(store)
    tickets = seed_tickets()
    store.upsert_tickets(to_record(t, identity.helpdesk_id) for t in tickets)
    out = tmp_path / "local.ndjson"
    job = ExportJob(out, "db", identity.helpdesk_id)
    monkeypatch.setattr(runner, "STORE_PAGE", 700)
    monkeypatch.setattr(runner, "STORE_CHECKPOINT_EVERY", 2)
    done = {"n": 0}

    def crash(n: int) -> None:
        done["n"] += n
        if done["n"] >= 5000:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        export_from_store(store, job, Progress(advance=crash))
    checkpoint = load_checkpoint(out)
    # a checkpoint every 2 pages of 700; the 8th page crossed 5,000: back to page 6
    assert checkpoint is not None and checkpoint.rows == 4200
    result = export_from_store(store, job)
    counts = ndjson_ids(out)
    assert result.resumed and set(counts) == {t.ticket_id for t in tickets}
    assert set(counts.values()) == {1}
    # --since/--until on update times, read from the store
    updated = tmp_path / "updated.ndjson"
    job = ExportJob(updated, "db", identity.helpdesk_id, since=BUSY_DAY, until=BUSY_DAY + DAY,
                    by="update")  # fmt: skip
    export_from_store(store, job)
    expected = {
        t.ticket_id
        for t in tickets
        if t.updated_at is not None and BUSY_DAY <= t.updated_at <= BUSY_DAY + DAY
    }
    assert len(expected) > 3000 and ndjson_ids(updated) == Counter(expected)
    # the command line, with a filter, as CSV (the store's own location)
    csv_out = tmp_path / "local.csv"
    base = ("--db", db_location(store), "--helpdesk", identity.helpdesk_id, "--out", str(csv_out))
    ran = export_cli(*base, "--status", "2", env={**os.environ, "PYTHONWARNINGS": "ignore"})
    stdout, stderr = ran.communicate(timeout=60)
    assert ran.returncode == 0, stderr
    assert json.loads(stdout)["exported"] == len([t for t in tickets if t.status == 2])
    bad = export_cli(*base, "--status", "7", env={**os.environ, "PYTHONWARNINGS": "ignore"})
    _, stderr = bad.communicate(timeout=60)
    assert bad.returncode == 1 and "status_list" in stderr


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LARKDESK_")}
    run = export_cli(
        "--out",
        str(tmp_path / "x.ndjson"),
        "--app-id",
        "cli_x",
        env={**env, "PYTHONWARNINGS": "ignore"},
    )
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 2
    assert "--app-secret (or $LARKDESK_APP_SECRET" in stderr and "--helpdesk-token" in stderr
    assert not (tmp_path / "x.ndjson").exists()


def test_flat_columns_keep_long_ids_as_text_and_read_listed_comments() -> None:
    from larkdesk.transfer.export.columns import flatten

    names = [c.name for c in COLUMNS]
    big = 7_265_123_456_789_012_345  # beyond 2^53: a spreadsheet would round it
    row = dict(zip(names, flatten({
        "ticket_id": "1",
        "created_at": 5,
        "guest": {"name": "王"},
        "comments": [{"id": 1, "content": "old"}, {"id": big, "content": "new"}],
        "agents": [{"id": "ou_a"}],
        "status": "50",  # the wrong type: left empty
        "agent_service_duration": 2,
    }), strict=True))  # fmt: skip
    assert row["guest_name"] == "王" and row["guest_id"] is None
    assert row["comments_id"] == str(big) and row["comments_content"] == "new"
    assert row["agents"] == '[{"id":"ou_a"}]' and row["status"] is None
    assert row["agent_service_duration"] == 2.0 and row["created_at"] == 5


def test_refused_credentials_leave_no_output(seeded: Seeded, tmp_path: Path) -> None:
    env = {**credentials_env(seeded), "LARKDESK_APP_SECRET": "not-the-secret"}
    run = export_cli("--out", str(tmp_path / "x.ndjson"), env=env)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 1 and "10014" in stderr and "not-the-secret" not in stderr
    assert list(tmp_path.iterdir()) == []
