"""`larkdesk notification approve|reject ID`: the administrator's decision on a
notification submitted for approval; fires `helpdesk.notification.approve_v1` (delivered
by a running `larkdesk serve` to the apps that subscribed)."""

from __future__ import annotations

import click

from ..errors import FeishuError
from ..helpdesk.notifications.service import STATUS_NAMES, Notifications
from .options import cli_store, db_option, emit


@click.group("notification")
def notification_group() -> None:
    """Decide on notifications (push campaigns) awaiting approval."""


def _decide(db: str, notification_id: str, approve: bool) -> None:
    with cli_store(db) as store:
        try:
            decided = Notifications(store).decide(notification_id, approve)
        except FeishuError as exc:
            raise click.ClickException(exc.message) from None
    status = decided.status or 0
    emit({"notification_id": notification_id, "status": status, "state": STATUS_NAMES[status]})


@notification_group.command("approve")
@db_option
@click.argument("notification_id")
def notification_approve(db: str, notification_id: str) -> None:
    """Approve a notification awaiting approval (it can then be sent)."""
    _decide(db, notification_id, approve=True)


@notification_group.command("reject")
@db_option
@click.argument("notification_id")
def notification_reject(db: str, notification_id: str) -> None:
    """Reject a notification awaiting approval (it can then be changed and resubmitted)."""
    _decide(db, notification_id, approve=False)
