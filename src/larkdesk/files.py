"""Files larkdesk creates hold guests' names and e-mails and secret hashes: they are
created readable by their owner only (`LARKDESK_FILE_MODE` relaxes it, e.g. 0640),
whatever the umask. Files that exist already keep their mode: they are the user's."""

from __future__ import annotations

import os
from pathlib import Path

from .settings import file_mode


def create_private(path: str | Path, mode: int | None = None) -> bool:
    """Create `path` empty with `mode` (default: the setting) if it does not exist; True
    if it was created here."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, file_mode() if mode is None else mode)  # exact, not masked by umask
    finally:
        os.close(fd)
    return True
