"""Custom-field definitions (lark-oapi's `TicketCustomizedField`) and the check of a
ticket's `customized_fields` against them.

A dropdown's value is one of its options' `display_name` (Feishu's document: "下拉菜单的
value对应工单字段里面的children.display_name"); any other field type takes free text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec

from ..errors import BadRequest
from .models import CustomizedFieldDisplayItem, TicketUser

MAX_TEXT_VALUE = 1024


def is_digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit()` is also true for "²" and "①", which `int` refuses."""
    return text.isascii() and text.isdigit()


class DropdownOption(msgspec.Struct, omit_defaults=True):
    tag: str | None = None
    display_name: str | None = None
    children: list[DropdownOption] | None = None


class DropdownOptions(msgspec.Struct, omit_defaults=True):
    children: list[DropdownOption] | None = None


class TicketCustomizedField(msgspec.Struct, omit_defaults=True):
    """One definition, as `GET /open-apis/helpdesk/v1/ticket_customized_fields` lists it."""

    ticket_customized_field_id: str
    helpdesk_id: str | None = None
    key_name: str | None = None
    display_name: str | None = None
    position: str | None = None
    field_type: str | None = None
    description: str | None = None
    visible: bool | None = None
    editable: bool | None = None
    required: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    created_by: TicketUser | None = None
    updated_by: TicketUser | None = None
    dropdown_options: DropdownOptions | None = None
    dropdown_allow_multiple: bool | None = None

    def choices(self) -> set[str]:
        """Every option's display name, nested ones included."""
        found: set[str] = set()
        stack = list(self.dropdown_options.children or ()) if self.dropdown_options else []
        while stack:
            option = stack.pop()
            if option.display_name:
                found.add(option.display_name)
            stack.extend(option.children or ())
        return found

    def shown(self, value: str) -> CustomizedFieldDisplayItem:
        """The field as a ticket shows it, holding `value`."""
        position = self.position or ""
        return CustomizedFieldDisplayItem(
            id=self.ticket_customized_field_id,
            value=value,
            key_name=self.key_name,
            display_name=self.display_name,
            position=int(position) if is_digits(position) else None,
            required=self.required,
            editable=self.editable,
        )


encode_definition = msgspec.json.Encoder().encode
decode_definition = msgspec.json.Decoder(TicketCustomizedField).decode


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
