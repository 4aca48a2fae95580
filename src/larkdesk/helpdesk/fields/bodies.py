"""Custom-field definitions on the wire (lark-oapi's `TicketCustomizedField`) and the
bodies of the custom-field APIs."""

from __future__ import annotations

import msgspec

from ..models import CustomizedFieldDisplayItem, TicketUser


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


class ListFieldsBody(msgspec.Struct):
    """`GET /open-apis/helpdesk/v1/ticket_customized_fields` (a GET with a JSON body)."""

    visible: bool | None = None
