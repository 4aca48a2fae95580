"""The rules of custom fields: what a definition may hold, and a ticket's
`customized_fields` checked against the helpdesk's definitions. No HTTP here, no SQL here.

A dropdown's value is one of its options' `display_name` (Feishu's document: "下拉菜单的
value对应工单字段里面的children.display_name"); any other field type takes free text.

Decisions where Feishu's documents are silent (docs/api.md has the full list):
- field types are `text`, `multiline` and `dropdown`; a dropdown needs options, and only
  a dropdown has them; `dropdown_allow_multiple: true` is refused (a value is one option);
- `key_name` is unique in the helpdesk and, with `field_type`, fixed once created;
- tickets keep what they hold: a changed definition, a removed option or a deleted field
  leaves tickets' values as they are (an update may clear them, not set them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from ...errors import BadRequest
from ..json_body import check_text
from ..models import CustomizedFieldDisplayItem
from ..params import MAX_LIST_ITEMS
from .bodies import (
    DropdownOption,
    DropdownOptions,
    FieldBody,
    TicketCustomizedField,
    is_digits,
)

FIELD_TYPES = ("text", "multiline", "dropdown")
MAX_TEXT_VALUE = 1024
MAX_NAME = 255
MAX_DESCRIPTION = 4096
MAX_POSITION = 1_000_000_000
FIXED = ("key_name", "field_type")  # given to PATCH, they must equal the stored ones
CHANGEABLE = ("display_name", "description", "visible", "editable", "required")


def checked_values(
    definitions: dict[str, TicketCustomizedField], items: Sequence[CustomizedFieldDisplayItem]
) -> dict[str, CustomizedFieldDisplayItem | None]:
    """Each item's field id → the field as the ticket will show it, None to clear it (an
    empty value). Only `id` and `value` are read; the rest comes from the definition."""
    checked: dict[str, CustomizedFieldDisplayItem | None] = {}
    for n, item in enumerate(items):
        where = f"customized_fields[{n}]"
        if not item.id:
            raise BadRequest(f"{where}.id is required")
        if not item.value:  # clears it; also a value of a field deleted since it was set
            checked[item.id] = None
            continue
        definition = definitions.get(item.id)
        if definition is None:
            raise BadRequest(f"{where}.id {item.id!r} is not a custom field of this helpdesk")
        if definition.field_type == "dropdown":
            if item.value not in definition.choices():
                allowed = sorted(definition.choices())
                raise BadRequest(
                    f"{where}.value {item.value!r} is not an option of dropdown "
                    f"{definition.key_name!r}: one of {allowed}"
                )
        elif len(item.value) > MAX_TEXT_VALUE:
            raise BadRequest(f"{where}.value is longer than {MAX_TEXT_VALUE} characters")
        if definition.editable is False:
            raise BadRequest(f"{where}: field {definition.key_name!r} is not editable")
        checked[item.id] = definition.shown(item.value)
    return checked


def merged(
    current: Iterable[CustomizedFieldDisplayItem] | None,
    changes: dict[str, CustomizedFieldDisplayItem | None],
) -> list[CustomizedFieldDisplayItem] | None:
    """The ticket's fields with `changes` applied by id, in display position order."""
    fields = {item.id: item for item in current or () if item.id}
    for field_id, item in changes.items():
        if item is None:
            fields.pop(field_id, None)
        else:
            fields[field_id] = item
    ordered = sorted(fields.values(), key=lambda f: (f.position or 0, f.id or ""))
    return ordered or None


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


def stored_number(text: str | None) -> int:
    """A stored string of digits as a number; 0 for anything else (a synced definition
    may carry a position that is not one, as `larkdesk sync` reads it too)."""
    return int(text) if text and is_digits(text) else 0


def checked_position(value: str | None) -> int | None:
    """A given `position` as a number, checked; None when absent."""
    if value is None:
        return None
    if not is_digits(value) or not 1 <= int(value) <= MAX_POSITION:
        raise BadRequest(f"position must be a whole number 1..{MAX_POSITION} as a string")
    return int(value)


def check_common(body: FieldBody, helpdesk_id: str) -> None:
    """The checks create and change share: helpdesk, names, description, multiple."""
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
