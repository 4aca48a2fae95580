"""Defining a helpdesk's custom fields: list, create, read, change, delete. One set of rules
for the API (`.../ticket_customized_fields`) and the CLI (`larkdesk field create`). No HTTP
here, no SQL here; the rules themselves are in `rules`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...errors import BadRequest, ResourceNotFound
from ...store.base import CustomizedFieldRecord, Store
from ..ids import now_ms, snowflake
from ..models import TicketUser
from .bodies import (
    DropdownOption,
    DropdownOptions,
    FieldBody,
    TicketCustomizedField,
    decode_definition,
)
from .bodies import encode_definition as encode
from .rules import (
    CHANGEABLE,
    FIELD_TYPES,
    FIXED,
    check_common,
    checked_position,
    option_names,
    stored_number,
    with_tags,
)

MAX_FIELD_PAGE = 100
DEFAULT_FIELD_PAGE = 20


@dataclass(frozen=True, slots=True)
class FieldPage:
    items: list[bytes]
    has_more: bool
    next_page_token: str | None


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

    def list_customized_fields(
        self, helpdesk_id: str, page_size: int, page_token: str | None, visible: bool | None
    ) -> FieldPage:
        """One page of the helpdesk's custom-field definitions, by position; the token is
        the last field id of the previous page."""
        records = self._store.list_customized_fields(helpdesk_id)
        if visible is not None:
            records = [r for r in records if decode_definition(r.body).visible == visible]
        start = 0
        if page_token:
            ids = [r.field_id for r in records]
            if page_token not in ids:
                raise BadRequest(f"page_token {page_token!r} is not a token this API gave")
            start = ids.index(page_token) + 1
        page = records[start : start + page_size]
        has_more = start + page_size < len(records)
        token = page[-1].field_id if has_more and page else None
        return FieldPage([r.body for r in page], has_more, token)

    def create(
        self, helpdesk_id: str, body: FieldBody, actor: TicketUser | None = None
    ) -> TicketCustomizedField:
        """A new definition; without a `position` it goes after the helpdesk's others.
        `actor`: the user of a user access token, its `created_by` and `updated_by`."""
        check_common(body, helpdesk_id)
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
            position = checked_position(body.position)
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
                created_by=actor,
                updated_by=actor,
            )
            self._save(helpdesk_id, definition)
        return definition

    def change(
        self, helpdesk_id: str, field_id: str, body: FieldBody, actor: TicketUser | None = None
    ) -> TicketCustomizedField:
        """Apply a PATCH: display_name, position, description, visible, editable, required
        and a dropdown's options may change. `actor` (a user access token's) becomes
        `updated_by`; with the tenant token it stays as it was."""
        check_common(body, helpdesk_id)
        if body.ticket_customized_field_id not in (None, field_id):
            raise BadRequest("ticket_customized_field_id differs from the one in the path")
        position = checked_position(body.position)
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
            definition.updated_at = str(
                max(self._clock(), stored_number(definition.updated_at) + 1)
            )
            if actor is not None:
                definition.updated_by = actor
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
            stored_number(definition.position),
            encode(definition),
        )
        self._store.save_customized_fields([record])


def define_field(
    store: Store,
    helpdesk_id: str,
    key_name: str,
    display_name: str,
    field_type: str = "text",
    options: Sequence[str] = (),
    required: bool = False,
    editable: bool = True,
) -> TicketCustomizedField:
    """A new definition of the helpdesk (`larkdesk field create`), placed after its others,
    by the rules of `POST .../ticket_customized_fields`."""
    if store.get_helpdesk(helpdesk_id) is None:
        raise ResourceNotFound(f"no helpdesk with id {helpdesk_id!r}")
    body = FieldBody(
        key_name=key_name,
        display_name=display_name,
        field_type=field_type,
        required=required,
        editable=editable,
        dropdown_options=DropdownOptions([DropdownOption(display_name=o) for o in options])
        if options
        else None,
    )
    return FieldDefinitions(store).create(helpdesk_id, body)
