"""The helpdesk event types larkdesk sends, and their `type`/`subtype` names in the
subscription API."""

from __future__ import annotations

TICKET_CREATED = "helpdesk.ticket.created_v1"
TICKET_UPDATED = "helpdesk.ticket.updated_v1"
MESSAGE_CREATED = "helpdesk.ticket_message.created_v1"
NOTIFICATION_APPROVE = "helpdesk.notification.approve_v1"
EVENT_TYPES = (TICKET_CREATED, TICKET_UPDATED, MESSAGE_CREATED, NOTIFICATION_APPROVE)

# `events/subscribe` names each type as {type, subtype} (Feishu's document and the two
# public integrations quoted in EVENTS.md §2).
SUBSCRIBABLE = {
    ("helpdesk.ticket", "ticket.created_v1"): TICKET_CREATED,
    ("helpdesk.ticket", "ticket.updated_v1"): TICKET_UPDATED,
    ("helpdesk.ticket_message", "ticket_message.created_v1"): MESSAGE_CREATED,
    ("helpdesk.notification", "notification.approve_v1"): NOTIFICATION_APPROVE,
}
