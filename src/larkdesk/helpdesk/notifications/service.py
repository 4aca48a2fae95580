"""Notifications (push campaigns) and their status machine. No HTTP, no SQL here.

Statuses (Feishu's document lists the field, not the values; our reading, docs/api.md):
0 created, 1 awaiting approval, 2 rejected, 3 approved, 4 scheduled (sending at
`send_at`), 5 sent, 6 send cancelled, 7 recalled. Moves:

    create → 0;  patch: 0 or 2 → 0;  submit_approve: 0 → 1;  cancel_approve: 1 → 0
    approve (administrator, CLI): 1 → 3;  reject: 1 → 2
    execute_send: 3 → 4 (send_at later) or 5 (now);  4 becomes 5 once send_at has passed
    cancel_send: 4 → 6;  with is_recall: 5 → 7

Every decided approval (approved, rejected, cancelled) fires
`helpdesk.notification.approve_v1` in the same transaction as the status change.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from ...errors import BadRequest, ResourceNotFound
from ...events.types import NOTIFICATION_APPROVE
from ...events.wire import new_event_id
from ...store.base import Store
from ...store.event_records import OutboundEvent
from ..ids import now_ms, snowflake
from ..json_body import check_text
from ..models import TicketUser
from .bodies import Notification, NotificationUser, decode_notification, encode

CREATED, APPROVING, REJECTED, APPROVED, SCHEDULED, SENT, CANCELLED, RECALLED = range(8)
STATUS_NAMES = (
    "created",
    "awaiting approval",
    "rejected",
    "approved",
    "scheduled",
    "sent",
    "cancelled",
    "recalled",
)
MAX_JOB_NAME, MAX_CONTENT = 100, 50_000


def _user(actor: TicketUser | None) -> NotificationUser | None:
    if actor is None:
        return None
    return NotificationUser(user_id=actor.id, avatar_url=actor.avatar_url, name=actor.name)


class Notifications:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], int] = now_ms,
        on_events: Callable[[], None] = lambda: None,
        writing: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_events = on_events
        self._writing = writing  # around a write that adds events (delivery claims them)

    def get(self, helpdesk_id: str, notification_id: str) -> Notification:
        body = self._store.get_notification(helpdesk_id, notification_id)
        if body is None:
            raise ResourceNotFound(f"the helpdesk has no notification {notification_id!r}")
        return self._current(decode_notification(body))

    def create(
        self, helpdesk_id: str, body: Notification, actor: TicketUser | None
    ) -> Notification:
        if body.job_name is None:
            raise BadRequest("job_name is required")
        if body.push_content is None:
            raise BadRequest("push_content is required")
        at = self._clock()
        made = self._checked(body)
        made.id = str(snowflake(at))
        made.status = CREATED
        made.created_at = made.updated_at = str(at)
        made.create_user = made.update_user = _user(actor)
        made.sent_user_count = made.read_user_count = 0
        self._save(helpdesk_id, made, at)
        return made

    def patch(
        self, helpdesk_id: str, notification_id: str, body: Notification, actor: TicketUser | None
    ) -> None:
        current = self.get(helpdesk_id, notification_id)
        self._require(current, (CREATED, REJECTED), "changed")
        changes = self._checked(body)
        for name in Notification.__struct_fields__:
            value = getattr(changes, name)
            if value is not None and name in _CHANGEABLE:
                setattr(current, name, value)
        current.target_user_count = len(current.user_list or ())
        current.status = CREATED
        if actor is not None:
            current.update_user = _user(actor)
        self._save(helpdesk_id, current, self._clock())

    def preview(self, helpdesk_id: str, notification_id: str) -> None:
        """Feishu sends the caller a preview; larkdesk has no chat to send it to."""
        self.get(helpdesk_id, notification_id)

    def submit(self, helpdesk_id: str, notification_id: str, reason: str | None) -> bool:
        check_text("reason", reason, 1000, blank_ok=True)
        current = self.get(helpdesk_id, notification_id)
        self._require(current, (CREATED,), "submitted for approval")
        current.status = APPROVING
        self._save(helpdesk_id, current, self._clock())
        return True  # has_access: every caller may submit (larkdesk has no approval roles)

    def cancel_approval(self, helpdesk_id: str, notification_id: str) -> None:
        current = self.get(helpdesk_id, notification_id)
        self._require(current, (APPROVING,), "withdrawn from approval")
        self._decide(helpdesk_id, current, CREATED, "CANCELED")

    def decide(self, notification_id: str, approve: bool) -> Notification:
        """The administrator's decision (`larkdesk notification approve|reject`)."""
        found = self._store.find_notification(notification_id)
        if found is None:
            raise ResourceNotFound(f"no notification {notification_id!r}")
        helpdesk_id, body = found
        current = self._current(decode_notification(body))
        self._require(current, (APPROVING,), "approved or rejected")
        if approve:
            self._decide(helpdesk_id, current, APPROVED, "APPROVED")
        else:
            self._decide(helpdesk_id, current, REJECTED, "REJECTED")
        return current

    def send(self, helpdesk_id: str, notification_id: str, send_at: str | None) -> None:
        current = self.get(helpdesk_id, notification_id)
        self._require(current, (APPROVED,), "sent")
        now = self._clock()
        if send_at is not None and not (send_at.isascii() and send_at.isdigit()):
            raise BadRequest(f"send_at must be milliseconds since the epoch, got {send_at!r}")
        at = max(int(send_at), now) if send_at else now
        current.send_at = str(at)
        current.status = SCHEDULED
        self._save(helpdesk_id, self._current(current), now)

    def cancel_send(self, helpdesk_id: str, notification_id: str, is_recall: bool) -> None:
        current = self.get(helpdesk_id, notification_id)
        if current.status == SCHEDULED:
            current.status = CANCELLED
        elif current.status == SENT and is_recall:
            current.status = RECALLED
        else:
            what = "recalled (is_recall: true)" if current.status == SENT else "cancelled"
            raise BadRequest(
                f"the notification is {STATUS_NAMES[current.status or 0]}: "
                f"only a scheduled one can be cancelled, a sent one {what}"
            )
        self._save(helpdesk_id, current, self._clock())

    def _current(self, notification: Notification) -> Notification:
        """A scheduled notification whose time has come is sent (to its user list)."""
        due = notification.send_at
        if notification.status == SCHEDULED and due and int(due) <= self._clock():
            notification.status = SENT
            notification.sent_user_count = notification.target_user_count
        return notification

    def _require(self, current: Notification, allowed: tuple[int, ...], what: str) -> None:
        if current.status not in allowed:
            need = " or ".join(STATUS_NAMES[s] for s in allowed)
            raise BadRequest(
                f"the notification is {STATUS_NAMES[current.status or 0]}: "
                f"only a {need} one can be {what}"
            )

    def _decide(self, helpdesk_id: str, current: Notification, status: int, verdict: str) -> None:
        current.status = status
        at = self._clock()
        body = encode(
            {"notification_id": current.id, "helpdesk_id": helpdesk_id, "approve_status": verdict}
        )
        event = OutboundEvent(new_event_id(), NOTIFICATION_APPROVE, helpdesk_id, at, body)
        self._save(helpdesk_id, current, at, (event,))
        self._on_events()

    def _save(
        self,
        helpdesk_id: str,
        notification: Notification,
        at: int,
        events: tuple[OutboundEvent, ...] = (),
    ) -> None:
        notification.updated_at = str(at)
        with self._writing():
            self._store.save_notification(
                notification.id or "",
                helpdesk_id,
                notification.status or 0,
                at,
                encode(notification),
                events,
            )

    def _checked(self, body: Notification) -> Notification:
        check_text("job_name", body.job_name, MAX_JOB_NAME)
        check_text("push_content", body.push_content, MAX_CONTENT)
        check_text("ext", body.ext, MAX_CONTENT, blank_ok=True)
        for n, user in enumerate(body.user_list or ()):
            if not user.user_id:
                raise BadRequest(f"user_list[{n}].user_id is required")
        made = Notification(**{n: getattr(body, n) for n in _CHANGEABLE})
        made.target_user_count = len(body.user_list or ())
        return made


_CHANGEABLE = (
    "job_name",
    "push_content",
    "push_type",
    "push_scope_type",
    "new_staff_scope_type",
    "new_staff_scope_department_list",
    "user_list",
    "department_list",
    "chat_list",
    "ext",
)
