"""Notifications on the wire: lark-oapi's `Notification` and the bodies of its APIs."""

from __future__ import annotations

import msgspec


class NotificationUser(msgspec.Struct, omit_defaults=True):
    user_id: str | None = None
    avatar_url: str | None = None
    name: str | None = None


class NotificationDepartment(msgspec.Struct, omit_defaults=True):
    department_id: str | None = None
    name: str | None = None


class NotificationChat(msgspec.Struct, omit_defaults=True):
    chat_id: str | None = None
    name: str | None = None


class Notification(msgspec.Struct, omit_defaults=True):
    """One notification; times are millisecond strings, as lark-oapi types them."""

    id: str | None = None
    job_name: str | None = None
    status: int | None = None
    create_user: NotificationUser | None = None
    created_at: str | None = None
    update_user: NotificationUser | None = None
    updated_at: str | None = None
    target_user_count: int | None = None
    sent_user_count: int | None = None
    read_user_count: int | None = None
    send_at: str | None = None
    push_content: str | None = None
    push_type: int | None = None
    push_scope_type: int | None = None
    new_staff_scope_type: int | None = None
    new_staff_scope_department_list: list[NotificationDepartment] | None = None
    user_list: list[NotificationUser] | None = None
    department_list: list[NotificationDepartment] | None = None
    chat_list: list[NotificationChat] | None = None
    ext: str | None = None


class SubmitBody(msgspec.Struct):
    reason: str | None = None


class ExecuteSendBody(msgspec.Struct):
    send_at: str | None = None


class CancelSendBody(msgspec.Struct):
    is_recall: bool | None = None


encode = msgspec.json.Encoder().encode
decode_notification = msgspec.json.Decoder(Notification).decode
