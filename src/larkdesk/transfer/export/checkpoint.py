"""The checkpoint beside an export's output (`OUT.checkpoint.json`).

It says which export is running (its source, helpdesk, filters, window and format; no
secrets), how far it got (API: every time window up to `through`; a local store: the
list-order key `after`), and how many bytes and rows of the output hold exactly that.
It is replaced atomically after the output's bytes are on disk, so after a crash or
Ctrl-C the output is cut back to `bytes` and the export continues from there.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from larkdesk.files import create_private

VERSION = 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    job: dict[str, Any]
    bytes: int
    rows: int
    until: int | None = None
    through: int | None = None
    after: tuple[int, str] | None = None


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint.json")


def load_checkpoint(out: Path) -> Checkpoint | None:
    path = checkpoint_path(out)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OSError(f"cannot read the checkpoint {path}: {exc}") from None
    if data.get("version") != VERSION:
        raise OSError(f"{path} was written by another version of larkdesk; use --restart")
    after = data.get("after")
    return Checkpoint(
        job=data["job"],
        bytes=int(data["bytes"]),
        rows=int(data["rows"]),
        until=data.get("until"),
        through=data.get("through"),
        after=(int(after[0]), str(after[1])) if after else None,
    )


def save_checkpoint(out: Path, checkpoint: Checkpoint) -> None:
    path = checkpoint_path(out)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)  # a leftover keeps its mode; a new file is private
    create_private(partial)
    with partial.open("w", encoding="utf-8") as file:
        json.dump({"version": VERSION, **asdict(checkpoint)}, file, ensure_ascii=False)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)


def remove_checkpoint(out: Path) -> None:
    checkpoint_path(out).unlink(missing_ok=True)
