"""Defining a helpdesk's custom fields: create, read, change, delete. One set of rules for
the API (`POST/GET/PATCH/DELETE .../ticket_customized_fields`) and the CLI
(`larkdesk field create`). No HTTP here, no SQL here.

Decisions where Feishu's documents are silent (docs/api.md has the full list):
- field types are `text`, `multiline` and `dropdown`; a dropdown needs options, and only
  a dropdown has them; `dropdown_allow_multiple: true` is refused (a value is one option);
- `key_name` is unique in the helpdesk and, with `field_type`, fixed once created;
- tickets keep what they hold: a changed definition, a removed option or a deleted field
  leaves tickets' values as they are (an update may clear them, not set them).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import msgspec

from ..errors import BadRequest, ResourceNotFound
from ..store.base import CustomizedFieldRecord, Store
from .bodies import check_text
from .fields import (
    DropdownOption,
    DropdownOptions,
    TicketCustomizedField,
    decode_definition,
    is_digits,
)
from .fields import encode_definition as encode
from .lifecycle import now_ms, snowflake
from .query import MAX_LIST_ITEMS

FIELD_TYPES = ("text", "multiline", "dropdown")
MAX_NAME = 255
MAX_DESCRIPTION = 4096
MAX_POSITION = 1_000_000_000
FIXED = ("key_name", "field_type")  # given to PATCH, they must equal the stored ones
CHANGEABLE = ("display_name", "description", "visible", "editable", "required")


class FieldBody(msgspec.Struct):
    """The body of create and change: lark-oapi's `TicketCustomizedField`, plus Feishu's
    `dropdown_options`. The read-only keys (`created_at`, ...) are ignored if sent."""

    ticket_customized_field_id: str | None = None
    helpdesk_id: str | None = None
    key_name: str | None = None
    display_name: str | None = None
    position: str | None = None
    field_type: str | None = None
    description: str | None = None
    visible: bool | None = None
    editable: bool | None = None
    required: bool | None = None
    dropdown_options: DropdownOptions | None = None
    dropdown_allow_multiple: bool | None = None


def option_names(options: DropdownOptions | None) -> list[str]:
    """The options' display names, checked: 1..100 distinct, not blank, not nested."""
    children = options.children if options else None
    if not children:
        raise BadRequest("dropdown_options: a dropdown needs at least one option")
    if len(children) > MAX_LIST_ITEMS:
        raise BadRequest(f"dropdown_options: at most {MAX_LIST_ITEMS} options")
    names = [option.display_name or "" for option in children]
    for n, name in enumerate(names):
        check_text(f"dropdown_options.children[{n}].display_name", name, MAX_NAME)
    if len(set(names)) != len(names):
        raise BadRequest("dropdown_options: option display names must be distinct")
    if any(option.children for option in children):
        raise BadRequest("dropdown_options: nested options are not supported (dropdown_nested)")
    return names


def with_tags(field_id: str, names: list[str], kept: DropdownOptions | None) -> DropdownOptions:
    """Options named `names`; one the field already has keeps its tag, a new one gets a
    tag derived from the field and its name."""
    tags = {o.display_name: o.tag for o in (kept.children or ())} if kept else {}
    return DropdownOptions(
        children=[
            DropdownOption(
                tag=tags.get(name) or str(uuid.uuid5(uuid.NAMESPACE_OID, field_id + name)),
                display_name=name,
            )
            for name in names
        ]
    )


def _number(text: str | None) -> int:
    """A stored string of digits as a number; 0 for anything else (a synced definition
    may carry a position that is not one, as `larkdesk sync` reads it too)."""
    return int(text) if text and is_digits(text) else 0


def _position(value: str | None) -> int | None:
    if value is None:
        return None
    if not is_digits(value) or not 1 <= int(value) <= MAX_POSITION:
        raise BadRequest(f"position must be a whole number 1..{MAX_POSITION} as a string")
    return int(value)


def _check_common(body: FieldBody, helpdesk_id: str) -> None:
    if body.helpdesk_id is not None and body.helpdesk_id != helpdesk_id:
        raise BadRequest(
            f"helpdesk_id {body.helpdesk_id!r} is not the helpdesk of the request's "
            "X-Lark-Helpdesk-Authorization"
        )
    check_text("key_name", body.key_name, MAX_NAME)
    check_text("display_name", body.display_name, MAX_NAME)
    check_text("description", body.description, MAX_DESCRIPTION, blank_ok=True)
    if body.dropdown_allow_multiple:
        raise BadRequest("dropdown_allow_multiple: true is not supported (one option a value)")


class FieldDefinitions:
    """The rules; writes of one process are serialised, so two creates cannot both take
    a key name."""

    def __init__(self, store: Store, clock: Callable[[], int] = now_ms) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()

    def get(self, helpdesk_id: str, field_id: str) -> TicketCustomizedField:
        """The helpdesk's definition; another helpdesk's field is not found."""
        for record in self._store.list_customized_fields(helpdesk_id):
            if record.field_id == field_id:
                return decode_definition(record.body)
        raise ResourceNotFound(f"the helpdesk has no custom field {field_id!r}")

    def create(self, helpdesk_id: str, body: FieldBody) -> TicketCustomizedField:
        """A new definition; without a `position` it goes after the helpdesk's others."""
        _check_common(body, helpdesk_id)
        for name in ("key_name", "display_name", "field_type"):
            if getattr(body, name) is None:
                raise BadRequest(f"{name} is required")
        if body.field_type not in FIELD_TYPES:
            allowed = ", ".join(FIELD_TYPES)
            raise BadRequest(f"field_type must be one of {allowed}, got {body.field_type!r}")
        dropdown = body.field_type == "dropdown"
        if not dropdown and body.dropdown_options is not None:
            raise BadRequest("dropdown_options: only a dropdown has options")
        names = option_names(body.dropdown_options) if dropdown else []
        with self._lock:
            existing = self._store.list_customized_fields(helpdesk_id)
            self._refuse_taken(existing, body.key_name or "")
            position = _position(body.position)
            if position is None:
                position = max((r.position for r in existing), default=0) + 1
            created = self._clock()
            field_id = str(snowflake(created))
            definition = TicketCustomizedField(
                ticket_customized_field_id=field_id,
                helpdesk_id=helpdesk_id,
                key_name=body.key_name,
                display_name=body.display_name,
                position=str(position),
                field_type=body.field_type,
                description=body.description,
                visible=True if body.visible is None else body.visible,
                editable=True if body.editable is None else body.editable,
                required=bool(body.required),
                created_at=str(created),
                updated_at=str(created),
                dropdown_options=with_tags(field_id, names, None) if dropdown else None,
                dropdown_allow_multiple=False if dropdown else None,
            )
            self._save(helpdesk_id, definition)
        return definition

    def change(self, helpdesk_id: str, field_id: str, body: FieldBody) -> TicketCustomizedField:
        """Apply a PATCH: display_name, position, description, visible, editable, required
        and a dropdown's options may change."""
        _check_common(body, helpdesk_id)
        if body.ticket_customized_field_id not in (None, field_id):
            raise BadRequest("ticket_customized_field_id differs from the one in the path")
        position = _position(body.position)
        with self._lock:
            definition = self.get(helpdesk_id, field_id)
            for name in FIXED:
                if getattr(body, name) not in (None, getattr(definition, name)):
                    raise BadRequest(f"{name} cannot be changed; delete the field and create it")
            changes = (*CHANGEABLE, "position", "dropdown_options")
            if all(getattr(body, name) is None for name in changes):
                raise BadRequest(f"nothing to change: give one of {', '.join(changes)}")
            if body.dropdown_options is not None:
                if definition.field_type != "dropdown":
                    raise BadRequest("dropdown_options: only a dropdown has options")
                names = option_names(body.dropdown_options)
                definition.dropdown_options = with_tags(
                    field_id, names, definition.dropdown_options
                )
            for name in CHANGEABLE:
                if getattr(body, name) is not None:
                    setattr(definition, name, getattr(body, name))
            if position is not None:
                definition.position = str(position)
            definition.updated_at = str(max(self._clock(), _number(definition.updated_at) + 1))
            self._save(helpdesk_id, definition)
        return definition

    def delete(self, helpdesk_id: str, field_id: str) -> None:
        with self._lock:
            if not self._store.delete_customized_field(helpdesk_id, field_id):
                raise ResourceNotFound(f"the helpdesk has no custom field {field_id!r}")

    def _refuse_taken(self, existing: list[CustomizedFieldRecord], key_name: str) -> None:
        for record in existing:
            if decode_definition(record.body).key_name == key_name:
                raise BadRequest(
                    f"key_name: the helpdesk already has a field with key name {key_name!r}"
                )

    def _save(self, helpdesk_id: str, definition: TicketCustomizedField) -> None:
        record = CustomizedFieldRecord(
            helpdesk_id,
            definition.ticket_customized_field_id,
            _number(definition.position),
            encode(definition),
        )
        self._store.save_customized_fields([record])
