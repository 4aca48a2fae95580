"""App assembly (larkdesk.server): the factory has no process-wide side effects."""

from __future__ import annotations

import gc

from larkdesk.server.app import create_app
from larkdesk.settings import Settings


def test_create_app_leaves_the_garbage_collector_alone() -> None:
    frozen = gc.get_freeze_count()
    app = create_app(Settings(db=":memory:", rate_limit="off"))
    app.state.services.store.close()
    assert gc.get_freeze_count() == frozen  # gc.freeze() is the serving entry point's
